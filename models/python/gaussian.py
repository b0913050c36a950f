"""Gaussian with unknown mean, as a Python simulator (the twin of builtin:gaussian);
--concurrent-runs N serves N runs at the same time."""
import math
import sys

import _checkout  # noqa: F401  (finds the client library in this checkout when it is not installed)
import probe
from _options import concurrent_runs


def gaussian():
    mu = probe.sample(probe.Normal(1, math.sqrt(5)), "mu")
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs0")
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs1")
    return mu


if __name__ == "__main__":
    sys.exit(probe.serve("gaussian", "1.0", gaussian, concurrent_runs=concurrent_runs(sys.argv)))
