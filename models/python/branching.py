"""The branching model of LANGUAGE.md, as a Python simulator (the twin of builtin:branching);
--concurrent-runs N serves N runs at the same time."""
import sys

import _checkout  # noqa: F401  (finds the client library in this checkout when it is not installed)
import probe
from _options import concurrent_runs


def fib(n):
    return 1 if n < 2 else fib(n - 1) + fib(n - 2)


def branching():
    r = probe.sample(probe.Poisson(4), "r")
    if 4 < r:
        l = 6
    else:
        l = 1 + fib(3 * r) + probe.sample(probe.Poisson(4))  # unnamed: addressed by this line and column
    probe.observe(probe.Poisson(l), "obs")
    return r


if __name__ == "__main__":
    sys.exit(probe.serve("branching", "1.0", branching, concurrent_runs=concurrent_runs(sys.argv)))
