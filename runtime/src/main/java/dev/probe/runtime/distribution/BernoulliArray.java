package dev.probe.runtime.distribution;

import java.util.Arrays;

import org.apache.commons.rng.UniformRandomProvider;

/** Independent coins, one per element: the array form of {@code Bernoulli}. */
public final class BernoulliArray implements Distribution<boolean[]> {

    private final double[] p;

    private BernoulliArray(double[] p) {
        Params.nonEmpty("Bernoulli", "p", p.length);
        this.p = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            this.p[i] = Params.probability("Bernoulli", "p", i, p[i]);
        }
    }

    /** Independent Bernoulli(p[i]). */
    public static BernoulliArray of(double[] p) {
        return new BernoulliArray(p);
    }

    @Override
    public String kind() {
        return "Bernoulli";
    }

    @Override
    public ValueType valueType() {
        return ValueType.BOOLEAN_ARRAY;
    }

    @Override
    public Support support() {
        return Support.booleans();
    }

    @Override
    public int dimension() {
        return p.length;
    }

    @Override
    public boolean[] sample(UniformRandomProvider rng) {
        boolean[] x = new boolean[p.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextDouble() < p[i];
        }
        return x;
    }

    @Override
    public double logProb(boolean[] x) {
        if (x.length != p.length) {
            return Double.NEGATIVE_INFINITY;
        }
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += x[i] ? Math.log(p[i]) : Math.log1p(-p[i]);
        }
        return sum;
    }

    @Override
    public boolean[] cast(Object value) {
        boolean[] x = Values.toBooleanArray(value, "Bernoulli value");
        ArrayValues.requireLength("Bernoulli", x.length, p.length);
        return x;
    }

    @Override
    public double[] means() {
        return p.clone();
    }

    @Override
    public double[] variances() {
        double[] v = new double[p.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = p[i] * (1 - p[i]);
        }
        return v;
    }

    @Override
    public String toString() {
        return "Bernoulli(" + Arrays.toString(p) + ")";
    }
}
