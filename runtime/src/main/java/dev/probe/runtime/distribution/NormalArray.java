package dev.probe.runtime.distribution;

import java.util.Arrays;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.NormalizedGaussianSampler;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

/** Independent normals, one per element: the array form of {@code Normal}, scalars broadcast. */
public final class NormalArray implements Distribution<double[]> {

    private final double[] mean;
    private final double[] stddev;
    private final double logNormalizer;

    private NormalArray(double[] mean, double[] stddev) {
        int n = ArrayValues.length("Normal", new String[] {"mean", "stddev"}, mean, stddev);
        this.mean = new double[n];
        this.stddev = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++) {
            this.mean[i] = Params.finite("Normal", "mean", i, ArrayValues.at(mean, i));
            this.stddev[i] = Params.positive("Normal", "stddev", i, ArrayValues.at(stddev, i));
            norm -= Math.log(this.stddev[i]) + RealDistribution.LOG_SQRT_2PI;
        }
        this.logNormalizer = norm;
    }

    /** Independent Normal(mean[i], stddev[i]); an array of length one broadcasts. */
    public static NormalArray of(double[] mean, double[] stddev) {
        return new NormalArray(mean, stddev);
    }

    @Override
    public String kind() {
        return "Normal";
    }

    @Override
    public ValueType valueType() {
        return ValueType.REAL_ARRAY;
    }

    @Override
    public Support support() {
        return Support.realLine();
    }

    @Override
    public int dimension() {
        return mean.length;
    }

    @Override
    public double[] sample(UniformRandomProvider rng) {
        NormalizedGaussianSampler z = ZigguratSampler.NormalizedGaussian.of(rng);
        double[] x = new double[mean.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = mean[i] + stddev[i] * z.sample();
        }
        return x;
    }

    @Override
    public double logProb(double[] x) {
        if (x.length != mean.length) {
            return Double.NEGATIVE_INFINITY;
        }
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double d = (x[i] - mean[i]) / stddev[i];
            sum += d * d;
        }
        return logNormalizer - 0.5 * sum;
    }

    @Override
    public double[] cast(Object value) {
        double[] x = Values.toDoubleArray(value, "Normal value");
        ArrayValues.requireLength("Normal", x.length, mean.length);
        return x;
    }

    @Override
    public double[] means() {
        return mean.clone();
    }

    @Override
    public double[] variances() {
        double[] v = new double[stddev.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = stddev[i] * stddev[i];
        }
        return v;
    }

    @Override
    public String toString() {
        return "Normal(" + Arrays.toString(mean) + ", " + Arrays.toString(stddev) + ")";
    }
}
