package dev.probe.runtime.distribution;

import java.util.Arrays;

import org.apache.commons.rng.UniformRandomProvider;

/** Independent Poisson counts, one per element: the array form of {@code Poisson} (a detector image of counts). */
public final class PoissonArray implements Distribution<long[]> {

    /** The same for every instance; made once rather than per call (support() is asked per choice by proposals). */
    private static final Support SUPPORT = Support.integers(0, Double.POSITIVE_INFINITY);

    private final Poisson[] elements;

    private PoissonArray(double[] rate) {
        Params.nonEmpty("Poisson", "rate", rate.length);
        elements = new Poisson[rate.length];
        for (int i = 0; i < rate.length; i++) {
            if (!(rate[i] > 0 && rate[i] <= Poisson.MAX_RATE)) {
                throw Params.invalid("Poisson", "rate[" + i + "]", "positive and at most " + (long) Poisson.MAX_RATE, rate[i]);
            }
            elements[i] = Poisson.of(rate[i]);
        }
    }

    /** Independent Poisson(rate[i]). */
    public static PoissonArray of(double[] rate) {
        return new PoissonArray(rate);
    }

    @Override
    public String kind() {
        return "Poisson";
    }

    @Override
    public ValueType valueType() {
        return ValueType.INTEGER_ARRAY;
    }

    @Override
    public Support support() {
        return SUPPORT;
    }

    @Override
    public int dimension() {
        return elements.length;
    }

    @Override
    public long[] sample(UniformRandomProvider rng) {
        long[] x = new long[elements.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = elements[i].sample(rng);
        }
        return x;
    }

    @Override
    public double logProb(long[] x) {
        if (x.length != elements.length) {
            return Double.NEGATIVE_INFINITY;
        }
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += elements[i].logMass(x[i]);
        }
        return sum;
    }

    @Override
    public long[] cast(Object value) {
        long[] x = Values.toLongArray(value, "Poisson value");
        ArrayValues.requireLength("Poisson", x.length, elements.length);
        return x;
    }

    @Override
    public double[] means() {
        double[] m = new double[elements.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = elements[i].rate();
        }
        return m;
    }

    @Override
    public double[] variances() {
        return means();
    }

    @Override
    public String toString() {
        return "Poisson" + Arrays.toString(elements);
    }
}
