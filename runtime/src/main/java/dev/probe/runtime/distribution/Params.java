package dev.probe.runtime.distribution;

import java.util.Locale;

/** Parameter checks shared by the distributions; each message names the distribution, the parameter and the value. */
final class Params {

    private Params() {
    }

    static IllegalArgumentException invalid(String kind, String parameter, String requirement, Object value) {
        return new IllegalArgumentException(String.format(Locale.ROOT, "%s: %s must be %s, got %s",
                kind, parameter, requirement, Values.format(value)));
    }

    static double finite(String kind, String parameter, double value) {
        if (!Double.isFinite(value)) {
            throw invalid(kind, parameter, "finite", value);
        }
        return value;
    }

    static double positive(String kind, String parameter, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw invalid(kind, parameter, "positive and finite", value);
        }
        return value;
    }

    static double probability(String kind, String parameter, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw invalid(kind, parameter, "a probability in [0, 1]", value);
        }
        return value;
    }

    static double nonNegative(String kind, String parameter, double value) {
        if (!(value >= 0) || !Double.isFinite(value)) {
            throw invalid(kind, parameter, "non-negative and finite", value);
        }
        return value;
    }

    // Element i of an array parameter: the same checks, its name ("mean[3]") made only for a
    // message. Making it for every element cost a visible share of a run that builds Normal(deposits,
    // noise) or a Categorical per run.

    static double finite(String kind, String array, int index, double value) {
        return Double.isFinite(value) ? value : finite(kind, array + "[" + index + "]", value);
    }

    static double positive(String kind, String array, int index, double value) {
        return value > 0 && Double.isFinite(value) ? value : positive(kind, array + "[" + index + "]", value);
    }

    static double probability(String kind, String array, int index, double value) {
        return value >= 0 && value <= 1 ? value : probability(kind, array + "[" + index + "]", value);
    }

    static double nonNegative(String kind, String array, int index, double value) {
        return value >= 0 && Double.isFinite(value) ? value : nonNegative(kind, array + "[" + index + "]", value);
    }

    static void ordered(String kind, String lowName, double low, String highName, double high) {
        if (!(low < high)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: %s must be less than %s, got %s = %s and %s = %s",
                    kind, lowName, highName, lowName, Values.format(low), highName, Values.format(high)));
        }
    }

    static void nonEmpty(String kind, String parameter, int length) {
        if (length == 0) {
            throw new IllegalArgumentException(kind + ": " + parameter + " must not be empty");
        }
    }

    /** Checks that array parameters broadcast to one length, and returns it. */
    static int broadcastLength(String kind, String[] names, int... lengths) {
        int n = -1;
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 0) {
                continue;
            }
            if (n < 0) {
                n = lengths[i];
            } else if (lengths[i] != n) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s: array parameters must have one length, got %s of length %d and %s of length %d",
                        kind, names[0], n, names[i], lengths[i]));
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException(kind + ": array parameters must not be empty");
        }
        return n;
    }
}
