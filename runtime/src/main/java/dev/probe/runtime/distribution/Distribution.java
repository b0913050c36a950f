package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;

/**
 * A probability distribution over values of type {@code T}: immutable, validated when built.
 *
 * <p>Values are {@link Double} for reals, {@link Long} for integers, {@link Boolean} for
 * booleans, and {@code double[]}, {@code long[]} or {@code boolean[]} for arrays. Randomness is
 * always an argument: a distribution holds no generator.
 *
 * @param <T> the type of the values
 */
public interface Distribution<T> {

    /** The distribution's kind, e.g. {@code "Normal"}: part of an unnamed sample's address. */
    String kind();

    /** The kind of value this distribution produces. */
    ValueType valueType();

    /** Where the values lie. */
    Support support();

    /** The number of components of a value: 0 for a scalar, the length for an array. */
    default int dimension() {
        return 0;
    }

    /** Draws one value. */
    T sample(UniformRandomProvider rng);

    /** The log density (continuous) or log mass (discrete) of {@code value}; -inf outside the support. */
    double logProb(T value);

    /**
     * Converts a value given from outside (an observation from the command line, JSON, a script)
     * to this distribution's value type.
     *
     * @throws IllegalArgumentException naming what was expected when it cannot be converted
     */
    T cast(Object value);

    /** {@link #logProb} of a value of unknown static type; it is cast first. */
    default double logProbOf(Object value) {
        return logProb(cast(value));
    }

    /** The mean of a scalar distribution. */
    default double mean() {
        double[] m = means();
        if (m.length != 1) {
            throw new UnsupportedOperationException(kind() + " has a vector mean: use means()");
        }
        return m[0];
    }

    /** The variance of a scalar distribution. */
    default double variance() {
        double[] v = variances();
        if (v.length != 1) {
            throw new UnsupportedOperationException(kind() + " has a vector variance: use variances()");
        }
        return v[0];
    }

    /** The mean of each component (one element for a scalar distribution). */
    default double[] means() {
        return new double[] {mean()};
    }

    /** The variance of each component (one element for a scalar distribution). */
    default double[] variances() {
        return new double[] {variance()};
    }
}
