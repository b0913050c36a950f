package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;

/**
 * A probability distribution over values of type {@code T}: immutable, validated when built.
 *
 * <p>Values are {@link Double} for reals, {@link Long} for integers, {@link Boolean} for
 * booleans, and {@code double[]}, {@code long[]} or {@code boolean[]} for arrays. Randomness is
 * always an argument: a distribution holds no generator. Serializable, as traces are, so that a
 * cluster's workers can hand particles to each other.
 *
 * @param <T> the type of the values
 */
public interface Distribution<T> extends java.io.Serializable {

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

    /*
     * A scalar distribution gives mean() and variance(), an array one means() and variances();
     * each default derives only the array view from the scalar one, never back, so a distribution
     * that gives neither fails with a message instead of recursing without end.
     */

    /** The mean of a scalar distribution. */
    default double mean() {
        if (dimension() > 0) {
            throw new UnsupportedOperationException(kind() + " has a vector mean: use means()");
        }
        throw new UnsupportedOperationException(kind() + " gives no mean: implement mean()");
    }

    /** The variance of a scalar distribution. */
    default double variance() {
        if (dimension() > 0) {
            throw new UnsupportedOperationException(kind() + " has a vector variance: use variances()");
        }
        throw new UnsupportedOperationException(kind() + " gives no variance: implement variance()");
    }

    /** The mean of each component (one element for a scalar distribution). */
    default double[] means() {
        if (dimension() > 0) {
            throw new UnsupportedOperationException(kind() + " gives no means: implement means()");
        }
        return new double[] {mean()};
    }

    /** The variance of each component (one element for a scalar distribution). */
    default double[] variances() {
        if (dimension() > 0) {
            throw new UnsupportedOperationException(kind() + " gives no variances: implement variances()");
        }
        return new double[] {variance()};
    }
}
