package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.LogNormalSampler;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

/** The log-normal distribution: exp of Normal(mu, sigma). */
public final class LogNormal extends RealDistribution {

    /** The same for every instance; made once rather than per call (support() is asked per choice by proposals). */
    private static final Support SUPPORT = Support.interval(0, false, Double.POSITIVE_INFINITY, false);

    private final double mu;
    private final double sigma;
    private final double logSigma;

    private LogNormal(double mu, double sigma) {
        this.mu = Params.finite("LogNormal", "mu", mu);
        this.sigma = Params.positive("LogNormal", "sigma", sigma);
        this.logSigma = Math.log(sigma);
    }

    /** LogNormal(mu, sigma): the log of the value is Normal(mu, sigma). */
    public static LogNormal of(double mu, double sigma) {
        return new LogNormal(mu, sigma);
    }

    @Override
    public String kind() {
        return "LogNormal";
    }

    @Override
    public Support support() {
        return SUPPORT;
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        return LogNormalSampler.of(ZigguratSampler.NormalizedGaussian.of(rng), mu, sigma).sample();
    }

    @Override
    public double logDensity(double x) {
        if (!(x > 0)) {
            return Double.NEGATIVE_INFINITY;
        }
        double lx = Math.log(x);
        double z = (lx - mu) / sigma;
        return -0.5 * z * z - lx - logSigma - LOG_SQRT_2PI;
    }

    @Override
    public double mean() {
        return Math.exp(mu + 0.5 * sigma * sigma);
    }

    @Override
    public double variance() {
        double s2 = sigma * sigma;
        return Math.expm1(s2) * Math.exp(2 * mu + s2);
    }

    public double mu() {
        return mu;
    }

    public double sigma() {
        return sigma;
    }

    @Override
    public String toString() {
        return "LogNormal(" + mu + ", " + sigma + ")";
    }
}
