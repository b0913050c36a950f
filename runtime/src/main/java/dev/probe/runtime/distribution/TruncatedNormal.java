package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.statistics.distribution.TruncatedNormalDistribution;

/** A normal distribution restricted to [low, high]. */
public final class TruncatedNormal extends RealDistribution {

    private final double mean;
    private final double stddev;
    private final double low;
    private final double high;
    private final TruncatedNormalDistribution exact;

    private TruncatedNormal(double mean, double stddev, double low, double high) {
        this.mean = Params.finite("TruncatedNormal", "mean", mean);
        this.stddev = Params.positive("TruncatedNormal", "stddev", stddev);
        if (Double.isNaN(low) || low == Double.POSITIVE_INFINITY) {
            throw Params.invalid("TruncatedNormal", "low", "a number or -inf", low);
        }
        if (Double.isNaN(high) || high == Double.NEGATIVE_INFINITY) {
            throw Params.invalid("TruncatedNormal", "high", "a number or inf", high);
        }
        Params.ordered("TruncatedNormal", "low", low, "high", high);
        this.low = low;
        this.high = high;
        TruncatedNormalDistribution d;
        try {
            d = TruncatedNormalDistribution.of(mean, stddev, low, high);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("TruncatedNormal: [" + low + ", " + high
                    + "] holds no probability mass under Normal(" + mean + ", " + stddev + ")", e);
        }
        this.exact = d;
    }

    /** TruncatedNormal(mean, stddev, low, high): Normal(mean, stddev) conditioned on [low, high]. */
    public static TruncatedNormal of(double mean, double stddev, double low, double high) {
        return new TruncatedNormal(mean, stddev, low, high);
    }

    @Override
    public String kind() {
        return "TruncatedNormal";
    }

    @Override
    public Support support() {
        return Support.interval(low, true, high, true);
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        // Commons RNG has no truncated normal sampler; Commons Statistics' one is exact.
        return exact.createSampler(rng).sample();
    }

    @Override
    public double logDensity(double x) {
        return exact.logDensity(x);
    }

    @Override
    public double mean() {
        return exact.getMean();
    }

    @Override
    public double variance() {
        return exact.getVariance();
    }

    public double location() {
        return mean;
    }

    public double scale() {
        return stddev;
    }

    public double low() {
        return low;
    }

    public double high() {
        return high;
    }

    @Override
    public String toString() {
        return "TruncatedNormal(" + mean + ", " + stddev + ", " + low + ", " + high + ")";
    }
}
