package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

/** The normal distribution with a mean and a standard deviation. */
public final class Normal extends RealDistribution {

    private final double mean;
    private final double stddev;
    private final double logStddev;

    private Normal(double mean, double stddev) {
        this.mean = Params.finite("Normal", "mean", mean);
        this.stddev = Params.positive("Normal", "stddev", stddev);
        this.logStddev = Math.log(stddev);
    }

    /** Normal(mean, stddev); the stddev must be positive. */
    public static Normal of(double mean, double stddev) {
        return new Normal(mean, stddev);
    }

    @Override
    public String kind() {
        return "Normal";
    }

    @Override
    public Support support() {
        return Support.realLine();
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        return mean + stddev * ZigguratSampler.NormalizedGaussian.of(rng).sample();
    }

    @Override
    public double logDensity(double x) {
        double z = (x - mean) / stddev;
        return -0.5 * z * z - logStddev - LOG_SQRT_2PI;
    }

    @Override
    public double mean() {
        return mean;
    }

    public double stddev() {
        return stddev;
    }

    @Override
    public double variance() {
        return stddev * stddev;
    }

    @Override
    public String toString() {
        return "Normal(" + mean + ", " + stddev + ")";
    }
}
