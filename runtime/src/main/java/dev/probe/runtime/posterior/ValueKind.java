package dev.probe.runtime.posterior;

/** How a posterior column's values are summarised. */
public enum ValueKind {
    /** Booleans, summarised as numbers (true = 1) with a pmf. */
    BOOLEAN,
    /** Integers, summarised with a pmf. */
    INTEGER,
    /** Real numbers. */
    REAL,
    /** Arrays of numbers, summarised element by element. */
    ARRAY,
    /** Anything else (strings, mixed types), summarised by a pmf of its values. */
    OTHER;

    /** Whether the values are held as doubles. */
    boolean numeric() {
        return this == BOOLEAN || this == INTEGER || this == REAL;
    }

    /** Whether a pmf is reported. */
    public boolean discrete() {
        return this == BOOLEAN || this == INTEGER || this == OTHER;
    }

    /** The kind a value has on its own. */
    static ValueKind of(Object value) {
        if (value instanceof Boolean) {
            return BOOLEAN;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return INTEGER;
        }
        if (value instanceof Double || value instanceof Float) {
            return REAL;
        }
        if (value instanceof double[] || value instanceof long[] || value instanceof boolean[]) {
            return ARRAY;
        }
        return OTHER;
    }

    /** The kind of a column holding values of both kinds. */
    static ValueKind join(ValueKind a, ValueKind b) {
        if (a == null) {
            return b;
        }
        if (a == b) {
            return a;
        }
        if (a.numeric() && b.numeric()) {
            return a == REAL || b == REAL ? REAL : INTEGER;
        }
        return OTHER;
    }
}
