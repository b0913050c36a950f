package dev.probe.runtime.distribution;

import org.apache.commons.numbers.gamma.LogBeta;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ChengBetaSampler;

/** The beta distribution on (0, 1). */
public final class Beta extends RealDistribution {

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
        return Support.interval(0, false, 1, false);
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        return ChengBetaSampler.of(rng, alpha, beta).sample();
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
