package dev.probe.runtime.distribution;

import java.util.Arrays;

import org.apache.commons.rng.UniformRandomProvider;

/** Independent uniforms, one per element: the array form of {@code Uniform}, scalars broadcast. */
public final class UniformArray implements Distribution<double[]> {

    private final Uniform[] elements;
    private final double logDensityInside;

    private UniformArray(double[] low, double[] high) {
        int n = ArrayValues.length("Uniform", new String[] {"low", "high"}, low, high);
        elements = new Uniform[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double lo = ArrayValues.at(low, i);
            double hi = ArrayValues.at(high, i);
            try {
                elements[i] = Uniform.of(lo, hi);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage() + " (element " + i + ")", e);
            }
            sum -= Math.log(hi - lo);
        }
        logDensityInside = sum;
    }

    /** Independent Uniform(low[i], high[i]); an array of length one broadcasts. */
    public static UniformArray of(double[] low, double[] high) {
        return new UniformArray(low, high);
    }

    @Override
    public String kind() {
        return "Uniform";
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
        return elements.length;
    }

    @Override
    public double[] sample(UniformRandomProvider rng) {
        double[] x = new double[elements.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = elements[i].sample(rng);
        }
        return x;
    }

    @Override
    public double logProb(double[] x) {
        if (x.length != elements.length) {
            return Double.NEGATIVE_INFINITY;
        }
        for (int i = 0; i < x.length; i++) {
            if (!(x[i] >= elements[i].low() && x[i] < elements[i].high())) {
                return Double.NEGATIVE_INFINITY;
            }
        }
        return logDensityInside;
    }

    @Override
    public double[] cast(Object value) {
        double[] x = Values.toDoubleArray(value, "Uniform value");
        ArrayValues.requireLength("Uniform", x.length, elements.length);
        return x;
    }

    @Override
    public double[] means() {
        double[] m = new double[elements.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = elements[i].mean();
        }
        return m;
    }

    @Override
    public double[] variances() {
        double[] v = new double[elements.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = elements[i].variance();
        }
        return v;
    }

    @Override
    public String toString() {
        return "Uniform" + Arrays.toString(elements);
    }
}
