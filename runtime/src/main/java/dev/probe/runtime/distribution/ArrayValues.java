package dev.probe.runtime.distribution;

import java.util.Locale;

/** Checks shared by the array-valued distributions. */
final class ArrayValues {

    private ArrayValues() {
    }

    static void requireLength(String kind, int actual, int expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s value must be an array of length %d, got length %d", kind, expected, actual));
        }
    }

    /** The element of a broadcast parameter: index 0 when it has length one. */
    static double at(double[] parameter, int i) {
        return parameter[parameter.length == 1 ? 0 : i];
    }

    /** The common length of broadcast parameters (length one broadcasts; all length one gives 1). */
    static int length(String kind, String[] names, double[]... parameters) {
        int[] lengths = new int[parameters.length];
        for (int i = 0; i < parameters.length; i++) {
            lengths[i] = parameters[i].length == 1 ? -1 : parameters[i].length;
            if (parameters[i].length == 0) {
                throw new IllegalArgumentException(kind + ": " + names[i] + " must not be empty");
            }
        }
        int n = Params.broadcastLength(kind, names, lengths);
        return n < 0 ? 1 : n;
    }
}
