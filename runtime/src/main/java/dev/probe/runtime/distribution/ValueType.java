package dev.probe.runtime.distribution;

/** The Java representation of a distribution's values. */
public enum ValueType {
    /** {@link Double}. */
    REAL,
    /** {@link Long}. */
    INTEGER,
    /** {@link Boolean}. */
    BOOLEAN,
    /** {@code double[]}. */
    REAL_ARRAY,
    /** {@code long[]}. */
    INTEGER_ARRAY,
    /** {@code boolean[]}. */
    BOOLEAN_ARRAY;

    /** Whether values are arrays. */
    public boolean isArray() {
        return this == REAL_ARRAY || this == INTEGER_ARRAY || this == BOOLEAN_ARRAY;
    }

    /** Whether values are discrete (integers or booleans, or arrays of them). */
    public boolean isDiscrete() {
        return this != REAL && this != REAL_ARRAY;
    }
}
