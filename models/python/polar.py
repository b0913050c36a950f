"""The Gaussian model with mu drawn by Marsaglia's polar method, the twin of builtin:polar: (u1, u2)
uniform on the square until inside the unit disk, marked with probe.rejection so that inference
compilation proposes every iteration alike (docs/inference-compilation.md)."""
import math
import sys

import _checkout  # noqa: F401  (finds the client library in this checkout when it is not installed)
import probe


def inside(u):
    s = u[0] * u[0] + u[1] * u[1]
    return 0 < s < 1


def polar():
    u = probe.rejection("polar", lambda: (probe.sample(probe.Uniform(-1, 1), "u1"), probe.sample(probe.Uniform(-1, 1), "u2")),
                        inside)
    s = u[0] * u[0] + u[1] * u[1]
    mu = 1 + math.sqrt(5) * u[0] * math.sqrt(-2 * math.log(s) / s)
    probe.tag("mu", mu)
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs0")
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs1")
    return mu


if __name__ == "__main__":
    sys.exit(probe.serve("polar", "1.0", polar))
