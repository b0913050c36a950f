package dev.probe.runtime.distribution;

import org.apache.commons.numbers.gamma.LogGamma;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.AhrensDieterMarsagliaTsangGammaSampler;

/** The gamma distribution with a shape and a rate (mean shape / rate). */
public final class Gamma extends RealDistribution {

    /** The same for every instance; made once rather than per call (support() is asked per choice by proposals). */
    private static final Support SUPPORT = Support.interval(0, false, Double.POSITIVE_INFINITY, false);

    private final double shape;
    private final double rate;
    private final double logNormalizer;

    private Gamma(double shape, double rate) {
        this.shape = Params.positive("Gamma", "shape", shape);
        this.rate = Params.positive("Gamma", "rate", rate);
        this.logNormalizer = shape * Math.log(rate) - LogGamma.value(shape);
    }

    /** Gamma(shape, rate). */
    public static Gamma of(double shape, double rate) {
        return new Gamma(shape, rate);
    }

    @Override
    public String kind() {
        return "Gamma";
    }

    @Override
    public Support support() {
        return SUPPORT;
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        double x = AhrensDieterMarsagliaTsangGammaSampler.of(rng, shape, 1 / rate).sample();
        // A draw below the smallest double (tiny shapes) or above the largest is the nearest double in the support.
        return x > 0 ? Math.min(x, Double.MAX_VALUE) : Double.MIN_VALUE;
    }

    /**
     * The logarithm of a Gamma(shape, 1) draw, finite however small the shape: below 1, through
     * Gamma(a) = Gamma(a + 1) U^(1/a), whose power underflows as a number but not as a logarithm.
     */
    static double logStandardGamma(UniformRandomProvider rng, double shape) {
        if (shape >= 1) {
            return Math.log(AhrensDieterMarsagliaTsangGammaSampler.of(rng, shape, 1).sample());
        }
        double u = 1 - rng.nextDouble(); // in (0, 1]
        return Math.log(AhrensDieterMarsagliaTsangGammaSampler.of(rng, shape + 1, 1).sample()) + Math.log(u) / shape;
    }

    @Override
    public double logDensity(double x) {
        if (x > 0 && x < Double.POSITIVE_INFINITY) {
            return logNormalizer + (shape - 1) * Math.log(x) - rate * x;
        }
        if (x == 0) {
            // The density's limit at zero, as Commons Statistics defines it.
            if (shape < 1) {
                return Double.POSITIVE_INFINITY;
            }
            return shape == 1 ? Math.log(rate) : Double.NEGATIVE_INFINITY;
        }
        return Double.NEGATIVE_INFINITY;
    }

    @Override
    public double mean() {
        return shape / rate;
    }

    @Override
    public double variance() {
        return shape / (rate * rate);
    }

    public double shape() {
        return shape;
    }

    public double rate() {
        return rate;
    }

    @Override
    public String toString() {
        return "Gamma(" + shape + ", " + rate + ")";
    }
}
