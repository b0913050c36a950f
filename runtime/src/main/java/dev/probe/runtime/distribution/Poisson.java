package dev.probe.runtime.distribution;

import org.apache.commons.numbers.gamma.LogGamma;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.PoissonSampler;

/** The Poisson distribution with a rate (its mean). */
public final class Poisson extends IntegerDistribution {

    /** The same for every instance; made once rather than per call (support() is asked per choice by proposals). */
    private static final Support SUPPORT = Support.integers(0, Double.POSITIVE_INFINITY);

    /** Commons RNG's Poisson samplers take means up to this. */
    static final double MAX_RATE = Integer.MAX_VALUE / 2.0;

    private final double rate;
    private final double logRate;

    private Poisson(double rate) {
        if (!(rate > 0 && rate <= MAX_RATE)) {
            throw Params.invalid("Poisson", "rate", "positive and at most " + (long) MAX_RATE, rate);
        }
        this.rate = rate;
        this.logRate = Math.log(rate);
    }

    /** Poisson(rate). */
    public static Poisson of(double rate) {
        return new Poisson(rate);
    }

    @Override
    public String kind() {
        return "Poisson";
    }

    @Override
    public Support support() {
        return SUPPORT;
    }

    @Override
    public Long sample(UniformRandomProvider rng) {
        return (long) PoissonSampler.of(rng, rate).sample();
    }

    @Override
    public double logMass(long k) {
        if (k < 0) {
            return Double.NEGATIVE_INFINITY;
        }
        return k * logRate - rate - LogGamma.value(k + 1.0);
    }

    @Override
    public double mean() {
        return rate;
    }

    @Override
    public double variance() {
        return rate;
    }

    public double rate() {
        return rate;
    }

    @Override
    public String toString() {
        return "Poisson(" + rate + ")";
    }
}
