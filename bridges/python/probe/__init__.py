"""Probe's Python client library: a simulator asks the Probe runtime for every random choice.

    import math, sys
    import probe

    def gaussian():
        mu = probe.sample(probe.Normal(1, math.sqrt(5)), "mu")
        probe.observe(probe.Normal(mu, math.sqrt(2)), "obs0")
        return mu

    if __name__ == "__main__":
        sys.exit(probe.serve("gaussian", "1.0", gaussian))

serve() connects to the address the runtime passes (PROBE_ADDRESS or --probe-address HOST:PORT) and
runs the simulator once per run the runtime asks for. An unnamed sample is addressed by its place in
the source (function, file's base name, line, column), stable across runs and machines. The same
shape as the C++ client (bridges/cpp); docs/bridge.md has the details.
"""
from ._client import (
    KINDS,
    PROTOCOL_VERSION,
    Distribution,
    RunAborted,
    factor,
    observe,
    observe_value,
    rejection,
    sample,
    serve,
    tag,
)
from ._distributions import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Dirichlet,
    Exponential,
    Gamma,
    LogNormal,
    Mixture,
    MultivariateNormal,
    Normal,
    Poisson,
    TruncatedNormal,
    Uniform,
)

__version__ = "0.1.0"

__all__ = [
    "KINDS", "PROTOCOL_VERSION", "Distribution", "RunAborted", "sample", "observe", "observe_value", "tag", "factor",
    "rejection", "serve", "Normal", "Uniform", "TruncatedNormal", "LogNormal", "Exponential", "Gamma", "Beta",
    "Bernoulli", "Binomial", "Poisson", "Categorical", "Dirichlet", "MultivariateNormal", "Mixture",
]
