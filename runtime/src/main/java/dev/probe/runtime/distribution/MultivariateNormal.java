package dev.probe.runtime.distribution;

import java.util.Arrays;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.NormalizedGaussianSampler;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

/** The multivariate normal distribution with a mean vector and a covariance matrix. */
public final class MultivariateNormal implements Distribution<double[]> {

    private final double[] mean;
    private final double[][] covariance;
    /** Lower-triangular Cholesky factor L with covariance = L L^T. */
    private final double[][] cholesky;
    private final double logNormalizer;

    private MultivariateNormal(double[] mean, double[][] cov) {
        int n = mean.length;
        Params.nonEmpty("MultivariateNormal", "mean", n);
        this.mean = new double[n];
        for (int i = 0; i < n; i++) {
            this.mean[i] = Params.finite("MultivariateNormal", "mean", i, mean[i]);
        }
        if (cov.length != n) {
            throw new IllegalArgumentException("MultivariateNormal: cov must be " + n + " x " + n
                    + " to match the mean, got " + cov.length + " rows");
        }
        covariance = new double[n][];
        for (int i = 0; i < n; i++) {
            if (cov[i].length != n) {
                throw new IllegalArgumentException("MultivariateNormal: cov must be " + n + " x " + n
                        + ", row " + i + " has " + cov[i].length + " elements");
            }
            covariance[i] = cov[i].clone();
            for (int j = 0; j < n; j++) {
                Params.finite("MultivariateNormal", "cov[" + i + "][" + j + "]", cov[i][j]);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double a = cov[i][j];
                double b = cov[j][i];
                if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.max(Math.abs(a), Math.abs(b)))) {
                    throw new IllegalArgumentException("MultivariateNormal: cov must be symmetric, got cov["
                            + i + "][" + j + "] = " + a + " and cov[" + j + "][" + i + "] = " + b);
                }
            }
        }
        cholesky = choleskyOf(covariance);
        double logDet = 0;
        for (int i = 0; i < n; i++) {
            logDet += 2 * Math.log(cholesky[i][i]);
        }
        logNormalizer = -0.5 * logDet - n * RealDistribution.LOG_SQRT_2PI;
    }

    /** MultivariateNormal(mean, cov); cov must be symmetric positive definite. */
    public static MultivariateNormal of(double[] mean, double[][] cov) {
        return new MultivariateNormal(mean, cov);
    }

    private static double[][] choleskyOf(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        for (int j = 0; j < n; j++) {
            double d = a[j][j];
            for (int k = 0; k < j; k++) {
                d -= l[j][k] * l[j][k];
            }
            if (!(d > 0)) {
                throw new IllegalArgumentException("MultivariateNormal: cov must be positive definite"
                        + " (the Cholesky factorisation fails at row " + j + ")");
            }
            l[j][j] = Math.sqrt(d);
            for (int i = j + 1; i < n; i++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) {
                    s -= l[i][k] * l[j][k];
                }
                l[i][j] = s / l[j][j];
            }
        }
        return l;
    }

    @Override
    public String kind() {
        return "MultivariateNormal";
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
        NormalizedGaussianSampler g = ZigguratSampler.NormalizedGaussian.of(rng);
        int n = mean.length;
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = g.sample();
        }
        double[] x = mean.clone();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k <= i; k++) {
                x[i] += cholesky[i][k] * z[k];
            }
        }
        return x;
    }

    @Override
    public double logProb(double[] x) {
        int n = mean.length;
        if (x.length != n) {
            return Double.NEGATIVE_INFINITY;
        }
        // Solve L y = x - mean by forward substitution; the quadratic form is |y|^2.
        double[] y = new double[n];
        double q = 0;
        for (int i = 0; i < n; i++) {
            double s = x[i] - mean[i];
            for (int k = 0; k < i; k++) {
                s -= cholesky[i][k] * y[k];
            }
            y[i] = s / cholesky[i][i];
            q += y[i] * y[i];
        }
        return logNormalizer - 0.5 * q;
    }

    @Override
    public double[] cast(Object value) {
        double[] x = Values.toDoubleArray(value, "MultivariateNormal value");
        ArrayValues.requireLength("MultivariateNormal", x.length, mean.length);
        return x;
    }

    @Override
    public double[] means() {
        return mean.clone();
    }

    @Override
    public double[] variances() {
        double[] v = new double[mean.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = covariance[i][i];
        }
        return v;
    }

    @Override
    public String toString() {
        return "MultivariateNormal(" + Arrays.toString(mean) + ", " + Arrays.deepToString(covariance) + ")";
    }
}
