package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.statistics.distribution.TruncatedNormalDistribution;

/** A normal distribution restricted to [low, high]. */
public final class TruncatedNormal extends RealDistribution {

    private final double mean;
    private final double stddev;
    private final double low;
    private final double high;
    /** Rebuilt from the parameters where the distribution is read back ({@link #readResolve}). */
    private final transient TruncatedNormalDistribution exact;

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

    /** Read back from another process: the same distribution, its helper built again. */
    private Object readResolve() {
        return new TruncatedNormal(mean, stddev, low, high);
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
        return draw(mean, stddev, low, high, rng);
    }

    /**
     * A draw from Normal(mean, stddev) conditioned on [low, high] (the parameters already
     * checked), for callers that hold the parameters without the object: the draws are those of
     * {@link #sample} under the same generator.
     */
    public static double draw(double mean, double stddev, double low, double high, UniformRandomProvider rng) {
        // Commons Statistics 1.1's own sampler is wrong (for N(0.7, 0.1) on [0, 1] its draws
        // average 0.78, not 0.70): the standardised interval is sampled here, by inverting the
        // CDF on the side of zero where it keeps its precision, and by Robert's (1995) exponential
        // rejection where even the tail probability underflows.
        double a = (low - mean) / stddev;
        double b = (high - mean) / stddev;
        if ((b - a) * (Math.abs(a) + Math.abs(b) + 1) < 1e-2) {
            return narrow(mean, stddev, low, high, a, b, rng);
        }
        double z;
        if (a >= 0) {
            z = upperTail(a, b, rng);
        } else if (b <= 0) {
            z = -upperTail(-b, -a, rng);
        } else {
            double pa = STANDARD.cumulativeProbability(a);
            double pb = STANDARD.cumulativeProbability(b);
            z = STANDARD.inverseCumulativeProbability(pa + rng.nextDouble() * (pb - pa));
        }
        return Math.min(high, Math.max(low, mean + stddev * z));
    }

    private static final org.apache.commons.statistics.distribution.NormalDistribution STANDARD =
            org.apache.commons.statistics.distribution.NormalDistribution.of(0, 1);

    /**
     * A draw from an interval so narrow against the standard deviation that the density is flat
     * on it to within 1%: uniform draws in the original scale, accepted in proportion to the
     * density (the distribution function cannot tell the ends apart there, so inversion would
     * give one end every time).
     */
    private static double narrow(double mean, double stddev, double low, double high, double a, double b,
            UniformRandomProvider rng) {
        double nearest = a > 0 ? a : b < 0 ? b : 0;
        while (true) {
            double x = low + rng.nextDouble() * (high - low);
            double z = (x - mean) / stddev;
            if (rng.nextDouble() < Math.exp(-(z * z - nearest * nearest) / 2)) {
                return Math.min(high, Math.max(low, x));
            }
        }
    }

    /** A standard normal draw conditioned on [a, b], 0 <= a < b. */
    private static double upperTail(double a, double b, UniformRandomProvider rng) {
        double qa = STANDARD.survivalProbability(a);
        if (qa > 1e-300) {
            double qb = STANDARD.survivalProbability(b);
            double q = qa - rng.nextDouble() * (qa - qb);
            double z = -STANDARD.inverseCumulativeProbability(q);
            return Math.min(b, Math.max(a, z));
        }
        // Robert (1995): an exponential proposal shifted to a, accepted with exp(-(z - lambda)^2 / 2).
        double lambda = (a + Math.sqrt(a * a + 4)) / 2;
        while (true) {
            double z = a - Math.log1p(-rng.nextDouble()) / lambda;
            if (z <= b && Math.log1p(-rng.nextDouble()) <= -(z - lambda) * (z - lambda) / 2) {
                return z;
            }
        }
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
