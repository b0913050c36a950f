package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ContinuousUniformSampler;

/** The continuous uniform distribution on [low, high). */
public final class Uniform extends RealDistribution {

    private final double low;
    private final double high;
    private final double logWidth;

    private Uniform(double low, double high) {
        this.low = Params.finite("Uniform", "low", low);
        this.high = Params.finite("Uniform", "high", high);
        Params.ordered("Uniform", "low", low, "high", high);
        this.logWidth = Math.log(high - low);
    }

    /** Uniform(low, high) with low &lt; high. */
    public static Uniform of(double low, double high) {
        return new Uniform(low, high);
    }

    @Override
    public String kind() {
        return "Uniform";
    }

    @Override
    public Support support() {
        return Support.interval(low, true, high, false);
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        double x = ContinuousUniformSampler.of(rng, low, high).sample();
        // The sampler's interpolation can round up to high itself; the support is [low, high).
        return x < high ? x : Math.nextDown(high);
    }

    @Override
    public double logDensity(double x) {
        return x >= low && x < high ? -logWidth : Double.NEGATIVE_INFINITY;
    }

    @Override
    public double mean() {
        return 0.5 * (low + high);
    }

    @Override
    public double variance() {
        double w = high - low;
        return w * w / 12;
    }

    public double low() {
        return low;
    }

    public double high() {
        return high;
    }

    @Override
    public String toString() {
        return "Uniform(" + low + ", " + high + ")";
    }
}
