package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

/** The exponential distribution with a rate. */
public final class Exponential extends RealDistribution {

    /** The same for every instance; made once rather than per call (support() is asked per choice by proposals). */
    private static final Support SUPPORT = Support.interval(0, true, Double.POSITIVE_INFINITY, false);

    private final double rate;
    private final double logRate;

    private Exponential(double rate) {
        this.rate = Params.positive("Exponential", "rate", rate);
        this.logRate = Math.log(rate);
    }

    /** Exponential(rate), mean 1 / rate. */
    public static Exponential of(double rate) {
        return new Exponential(rate);
    }

    @Override
    public String kind() {
        return "Exponential";
    }

    @Override
    public Support support() {
        return SUPPORT;
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        return ZigguratSampler.Exponential.of(rng, 1 / rate).sample();
    }

    @Override
    public double logDensity(double x) {
        return x >= 0 ? logRate - rate * x : Double.NEGATIVE_INFINITY;
    }

    @Override
    public double mean() {
        return 1 / rate;
    }

    @Override
    public double variance() {
        return 1 / (rate * rate);
    }

    public double rate() {
        return rate;
    }

    @Override
    public String toString() {
        return "Exponential(" + rate + ")";
    }
}
