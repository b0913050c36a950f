package dev.probe.runtime.posterior;

import java.io.Serializable;
import java.util.List;

/**
 * What an engine reports about how its work went (an acceptance rate, fallbacks to the prior,
 * resampling counts), typically a record with typed accessors for Java users. Reports print
 * {@link #figures} in order, without knowing the engine.
 */
public interface Diagnostics extends Serializable {

    /** No diagnostics. */
    Diagnostics NONE = List::of;

    /** The figures, in the order reports show them. */
    List<Figure> figures();

    /**
     * One figure: {@code key} names it in JSON output, {@code label} in a table; an integral
     * figure is a count.
     */
    record Figure(String key, String label, double value, boolean integral) implements Serializable {

        /** A count. */
        public static Figure count(String key, String label, long value) {
            return new Figure(key, label, value, true);
        }

        /** A real number, such as a rate. */
        public static Figure real(String key, String label, double value) {
            return new Figure(key, label, value, false);
        }

        /** The value as text: a whole number for a count, four decimals otherwise. */
        public String text() {
            return integral ? Long.toString((long) value) : String.format(java.util.Locale.ROOT, "%.4f", value);
        }
    }
}
