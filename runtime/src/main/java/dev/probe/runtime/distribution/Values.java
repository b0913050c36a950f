package dev.probe.runtime.distribution;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Conversions between the value representations that cross Probe's boundaries (JSON numbers,
 * lists, boxed arrays) and the ones distributions use.
 */
public final class Values {

    private Values() {
    }

    /** A short human-readable rendering of a value, for error messages and summaries. */
    public static String format(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            if (d == Double.POSITIVE_INFINITY) {
                return "inf";
            }
            if (d == Double.NEGATIVE_INFINITY) {
                return "-inf";
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                return Long.toString((long) d) + ".0";
            }
            return Double.toString(d);
        }
        if (value instanceof double[]) {
            return Arrays.toString((double[]) value);
        }
        if (value instanceof long[]) {
            return Arrays.toString((long[]) value);
        }
        if (value instanceof boolean[]) {
            return Arrays.toString((boolean[]) value);
        }
        if (value instanceof int[]) {
            return Arrays.toString((int[]) value);
        }
        if (value instanceof Object[]) {
            return Arrays.deepToString((Object[]) value);
        }
        if (value instanceof String) {
            return "\"" + value + "\"";
        }
        return String.valueOf(value);
    }

    /** The name of a value's type as users see it. */
    public static String typeName(Object value) {
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Double || value instanceof Float) {
            return "a real number";
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return "an integer";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (isArray(value)) {
            return "an array";
        }
        return "a " + value.getClass().getSimpleName();
    }

    /** Whether a value is an array or a list. */
    public static boolean isArray(Object value) {
        return value != null && (value.getClass().isArray() || value instanceof List);
    }

    /** The length of an array or list value. */
    public static int length(Object value) {
        if (value instanceof List) {
            return ((List<?>) value).size();
        }
        if (value instanceof Object[]) {
            return ((Object[]) value).length;
        }
        return java.lang.reflect.Array.getLength(value);
    }

    /** The element at {@code i} of an array or list value, boxed. */
    public static Object element(Object value, int i) {
        if (value instanceof List) {
            return ((List<?>) value).get(i);
        }
        if (value instanceof double[]) {
            return ((double[]) value)[i];
        }
        if (value instanceof long[]) {
            return ((long[]) value)[i];
        }
        if (value instanceof boolean[]) {
            return ((boolean[]) value)[i];
        }
        return java.lang.reflect.Array.get(value, i);
    }

    /** A number as a double; booleans are 1 and 0. */
    public static double toDouble(Object value, String what) {
        if (value instanceof Number) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof Boolean) {
            return (Boolean) value ? 1.0 : 0.0;
        }
        throw new IllegalArgumentException(what + " must be a number, got " + typeName(value) + " " + format(value));
    }

    /** An integral number as a long (a float such as 3.0 is accepted; 3.5 is not). */
    public static long toLong(Object value, String what) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Number) {
            double d = ((Number) value).doubleValue();
            if (d == Math.rint(d) && Math.abs(d) <= 9.007199254740992E15) {
                return (long) d;
            }
            throw new IllegalArgumentException(what + " must be an integer, got " + format(value));
        }
        throw new IllegalArgumentException(what + " must be an integer, got " + typeName(value) + " " + format(value));
    }

    /** A boolean, given as {@code true}/{@code false} or {@code 1}/{@code 0}. */
    public static boolean toBoolean(Object value, String what) {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        if (value instanceof Number) {
            double d = ((Number) value).doubleValue();
            if (d == 1) {
                return true;
            }
            if (d == 0) {
                return false;
            }
        }
        throw new IllegalArgumentException(what + " must be true/false or 1/0, got " + format(value));
    }

    /** An array or list of numbers as a double[]. */
    public static double[] toDoubleArray(Object value, String what) {
        if (value instanceof double[]) {
            return (double[]) value;
        }
        requireArray(value, what);
        int n = length(value);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            Object e = element(value, i);
            // The element's name ("what[i]") is made only for a message.
            out[i] = e instanceof Number ? ((Number) e).doubleValue() : toDouble(e, what + "[" + i + "]");
        }
        return out;
    }

    /** An array or list of integers as a long[]. */
    public static long[] toLongArray(Object value, String what) {
        if (value instanceof long[]) {
            return (long[]) value;
        }
        requireArray(value, what);
        int n = length(value);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = toLong(element(value, i), what + "[" + i + "]");
        }
        return out;
    }

    /** An array or list of booleans (or 1/0) as a boolean[]. */
    public static boolean[] toBooleanArray(Object value, String what) {
        if (value instanceof boolean[]) {
            return (boolean[]) value;
        }
        requireArray(value, what);
        int n = length(value);
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) {
            out[i] = toBoolean(element(value, i), what + "[" + i + "]");
        }
        return out;
    }

    private static void requireArray(Object value, String what) {
        if (!isArray(value)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s must be an array, got %s %s",
                    what, typeName(value), format(value)));
        }
    }
}
