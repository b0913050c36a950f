"""Every distribution of the runtime once, and numpy arrays of each dtype, for the bridge's tests:
DistributionsTwin in SimulatorBridgePythonTest makes the same calls in Java. The shapes and dtypes
that come back are checked here: a wrong one fails the run with a simulator error."""
import sys

import numpy as np

import probe

used = set()


def draw(d, name, shape, dtype):
    used.add(d.kind)
    v = probe.sample(d, name)
    got = (np.shape(v), np.asarray(v).dtype.kind if isinstance(v, np.ndarray) else type(v).__name__)
    if got != (shape, dtype):
        raise AssertionError(f"{name}: got shape and type {got}, expected {(shape, dtype)}")
    return v


def distributions():
    draw(probe.Normal(0.5, 2), "normal", (), "float")
    draw(probe.Normal(np.zeros((2, 3)), np.arange(1, 7).reshape(2, 3)), "normals", (2, 3), "f")
    draw(probe.Uniform(-1, 3), "uniform", (), "float")
    draw(probe.Uniform([0, 1], 3), "uniforms", (2,), "f")
    draw(probe.TruncatedNormal(0, 1, -0.5, 2), "truncated", (), "float")
    draw(probe.LogNormal(0.1, 0.5), "lognormal", (), "float")
    draw(probe.Exponential(2), "exponential", (), "float")
    draw(probe.Gamma(2, 3), "gamma", (), "float")
    draw(probe.Beta(2, 5), "beta", (), "float")
    draw(probe.Bernoulli(0.3), "bernoulli", (), "bool")
    draw(probe.Bernoulli(np.full((2, 2), 0.5)), "bernoullis", (2, 2), "b")
    draw(probe.Binomial(10, 0.4), "binomial", (), "int")
    draw(probe.Poisson(3.5), "poisson", (), "int")
    draw(probe.Poisson([1, 2, 3]), "poissons", (3,), "i")
    draw(probe.Categorical([0.2, 0.3, 0.5]), "categorical", (), "int")
    draw(probe.Dirichlet([1, 2, 3]), "dirichlet", (3,), "f")
    draw(probe.MultivariateNormal([0, 1], [[2, 0.5], [0.5, 1]]), "mvn", (2,), "f")
    draw(probe.Mixture([0.3, 0.7], [probe.Normal(-2, 1), probe.Normal(2, 0.5)]), "mixture", (), "float")
    if used != set(probe.KINDS):
        raise AssertionError(f"kinds not drawn: {set(probe.KINDS) - used}")
    # A given observation comes back in the distribution's shape.
    image = probe.observe(probe.Normal(np.zeros((2, 3)), 1), "image")
    if image.shape != (2, 3):
        raise AssertionError(f"image: shape {image.shape}")
    # Tensors keep their dtype on the wire (the runtime's values are flat).
    probe.tag("f32", np.array([[1.5, 2.5, 3.5]], dtype=np.float32))
    probe.tag("i64", np.arange(4, dtype=np.int32).reshape(2, 2))
    probe.tag("flags", np.array([True, False]))
    probe.sample(probe.Normal(0, 1))  # unnamed: addressed by this call site
    return np.float32(0.25)


if __name__ == "__main__":
    sys.exit(probe.serve("distributions", "1.0", distributions))
