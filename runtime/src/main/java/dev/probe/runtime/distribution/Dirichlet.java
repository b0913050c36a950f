package dev.probe.runtime.distribution;

import java.util.Arrays;

import org.apache.commons.numbers.gamma.LogGamma;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.DirichletSampler;

/** The Dirichlet distribution on the probability simplex. */
public final class Dirichlet implements Distribution<double[]> {

    /** How far from one a value's sum may be and still lie on the simplex. */
    private static final double SIMPLEX_TOLERANCE = 1e-9;

    private final double[] alpha;
    private final double alphaSum;
    private final double logNormalizer;

    private Dirichlet(double[] alpha) {
        if (alpha.length < 2) {
            throw new IllegalArgumentException("Dirichlet: alphas must have at least 2 elements, got " + alpha.length);
        }
        this.alpha = new double[alpha.length];
        double sum = 0;
        double logGammas = 0;
        for (int i = 0; i < alpha.length; i++) {
            this.alpha[i] = Params.positive("Dirichlet", "alphas", i, alpha[i]);
            sum += alpha[i];
            logGammas += LogGamma.value(alpha[i]);
        }
        alphaSum = sum;
        logNormalizer = LogGamma.value(sum) - logGammas;
    }

    /** Dirichlet(alphas), every alpha positive. */
    public static Dirichlet of(double... alpha) {
        return new Dirichlet(alpha);
    }

    @Override
    public String kind() {
        return "Dirichlet";
    }

    @Override
    public ValueType valueType() {
        return ValueType.REAL_ARRAY;
    }

    @Override
    public Support support() {
        return Support.simplex();
    }

    @Override
    public int dimension() {
        return alpha.length;
    }

    @Override
    public double[] sample(UniformRandomProvider rng) {
        for (double a : alpha) {
            if (a < 1) {
                return sampleInLogSpace(rng);
            }
        }
        return DirichletSampler.of(rng, alpha).sample();
    }

    /**
     * Normalised gamma draws computed as logarithms: with alphas below 1 every draw may underflow
     * to 0, where Commons RNG's sampler starts over, recursively, until the stack overflows. An
     * element below the smallest double is given as that double.
     */
    private double[] sampleInLogSpace(UniformRandomProvider rng) {
        double[] logG = new double[alpha.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < alpha.length; i++) {
            logG[i] = Gamma.logStandardGamma(rng, alpha[i]);
            max = Math.max(max, logG[i]);
        }
        double sum = 0;
        for (double l : logG) {
            sum += Math.exp(l - max);
        }
        double logSum = max + Math.log(sum);
        double[] x = new double[alpha.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(Double.MIN_VALUE, Math.exp(logG[i] - logSum));
        }
        return x;
    }

    @Override
    public double logProb(double[] x) {
        if (x.length != alpha.length) {
            return Double.NEGATIVE_INFINITY;
        }
        double sum = 0;
        double lp = logNormalizer;
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] >= 0 && x[i] <= 1)) {
                return Double.NEGATIVE_INFINITY;
            }
            sum += x[i];
            lp += (alpha[i] - 1) * Math.log(x[i]);
        }
        return Math.abs(sum - 1) <= SIMPLEX_TOLERANCE ? lp : Double.NEGATIVE_INFINITY;
    }

    @Override
    public double[] cast(Object value) {
        double[] x = Values.toDoubleArray(value, "Dirichlet value");
        ArrayValues.requireLength("Dirichlet", x.length, alpha.length);
        return x;
    }

    @Override
    public double[] means() {
        double[] m = new double[alpha.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = alpha[i] / alphaSum;
        }
        return m;
    }

    @Override
    public double[] variances() {
        double[] v = new double[alpha.length];
        for (int i = 0; i < v.length; i++) {
            double m = alpha[i] / alphaSum;
            v[i] = m * (1 - m) / (alphaSum + 1);
        }
        return v;
    }

    @Override
    public String toString() {
        return "Dirichlet(" + Arrays.toString(alpha) + ")";
    }
}
