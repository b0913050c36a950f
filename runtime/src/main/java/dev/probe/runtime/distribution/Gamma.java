package dev.probe.runtime.distribution;

import org.apache.commons.numbers.gamma.LogGamma;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.AhrensDieterMarsagliaTsangGammaSampler;

/** The gamma distribution with a shape and a rate (mean shape / rate). */
public final class Gamma extends RealDistribution {

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
        return Support.interval(0, false, Double.POSITIVE_INFINITY, false);
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        return AhrensDieterMarsagliaTsangGammaSampler.of(rng, shape, 1 / rate).sample();
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
