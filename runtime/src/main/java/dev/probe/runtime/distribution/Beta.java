package dev.probe.runtime.distribution;

import org.apache.commons.numbers.gamma.LogBeta;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ChengBetaSampler;

/** The beta distribution on (0, 1). */
public final class Beta extends RealDistribution {

    /** The same for every instance; made once rather than per call (support() is asked per choice by proposals). */
    private static final Support SUPPORT = Support.interval(0, false, 1, false);

    private final double alpha;
    private final double beta;
    private final double logBeta;

    private Beta(double alpha, double beta) {
        this.alpha = Params.positive("Beta", "alpha", alpha);
        this.beta = Params.positive("Beta", "beta", beta);
        this.logBeta = LogBeta.value(alpha, beta);
    }

    /** Beta(alpha, beta). */
    public static Beta of(double alpha, double beta) {
        return new Beta(alpha, beta);
    }

    @Override
    public String kind() {
        return "Beta";
    }

    @Override
    public Support support() {
        return SUPPORT;
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        double x;
        if (Math.min(alpha, beta) < 1e-3 || Math.max(alpha, beta) > 1e6) {
            // Cheng's sampler loses its accuracy (Beta(1, 1e300) drew 2.5 times its mean) or gives
            // NaN out there: normalised gammas, as logarithms.
            double la = Gamma.logStandardGamma(rng, alpha);
            double lb = Gamma.logStandardGamma(rng, beta);
            x = 1 / (1 + Math.exp(lb - la));
        } else {
            x = ChengBetaSampler.of(rng, alpha, beta).sample();
        }
        // Draws rounded onto a bound of the open support: the nearest double inside it.
        return Math.min(Math.max(x, Double.MIN_VALUE), Math.nextDown(1.0));
    }

    @Override
    public double logDensity(double x) {
        if (x > 0 && x < 1) {
            return (alpha - 1) * Math.log(x) + (beta - 1) * Math.log1p(-x) - logBeta;
        }
        return Double.NEGATIVE_INFINITY;
    }

    @Override
    public double mean() {
        return alpha / (alpha + beta);
    }

    @Override
    public double variance() {
        double s = alpha + beta;
        return alpha * beta / (s * s * (s + 1));
    }

    public double alpha() {
        return alpha;
    }

    public double beta() {
        return beta;
    }

    @Override
    public String toString() {
        return "Beta(" + alpha + ", " + beta + ")";
    }
}
