"""The runtime's distributions, by kind and parameters in the order of LANGUAGE.md.

A parameter may be a number or a numpy array (anything numpy.asarray takes). Normal, Uniform,
Bernoulli and Poisson with an array parameter are arrays of independent draws: their parameters are
broadcast to one shape, and a sample comes back as an array of that shape.
"""
import numpy as np

from ._client import Distribution


def _real(x):
    return np.asarray(x, dtype=np.float64)


def _elementwise(kind, *params):
    arrays = [_real(p) for p in params]
    if any(a.ndim > 0 for a in arrays):
        arrays = [np.ascontiguousarray(a) for a in np.broadcast_arrays(*arrays)]
    return Distribution(kind, arrays)


def Normal(mean, stddev):
    return _elementwise("Normal", mean, stddev)


def Uniform(low, high):
    return _elementwise("Uniform", low, high)


def Bernoulli(p):
    return _elementwise("Bernoulli", p)


def Poisson(rate):
    return _elementwise("Poisson", rate)


def TruncatedNormal(mean, stddev, low, high):
    return Distribution("TruncatedNormal", [_real(mean), _real(stddev), _real(low), _real(high)])


def LogNormal(mu, sigma):
    return Distribution("LogNormal", [_real(mu), _real(sigma)])


def Exponential(rate):
    return Distribution("Exponential", [_real(rate)])


def Gamma(shape, rate):
    return Distribution("Gamma", [_real(shape), _real(rate)])


def Beta(alpha, beta):
    return Distribution("Beta", [_real(alpha), _real(beta)])


def Binomial(n, p):
    if int(n) != n:
        raise ValueError(f"probe.Binomial: n must be an integer, got {n}")
    return Distribution("Binomial", [np.asarray(int(n), dtype=np.int64), _real(p)])


def Categorical(weights):
    return Distribution("Categorical", [_real(weights).ravel()])


def Dirichlet(alphas):
    return Distribution("Dirichlet", [_real(alphas).ravel()])


def MultivariateNormal(mean, cov):
    """cov: a d x d matrix (or its d * d values row by row)."""
    mean = _real(mean).ravel()
    cov = _real(cov)
    if cov.size != mean.size * mean.size:
        raise ValueError(f"probe.MultivariateNormal: cov must be {mean.size} x {mean.size}, got shape {cov.shape}")
    return Distribution("MultivariateNormal", [mean, cov.reshape(mean.size, mean.size)])


def Mixture(weights, components):
    components = list(components)
    if not all(isinstance(c, Distribution) for c in components):
        raise TypeError("probe.Mixture: components must be probe distributions")
    return Distribution("Mixture", [_real(weights).ravel()], components)
