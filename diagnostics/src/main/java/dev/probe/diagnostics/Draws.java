package dev.probe.diagnostics;

import java.util.ArrayList;
import java.util.List;

import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;

/**
 * Columns of numbers out of a {@link Posterior}: a scalar variable's values (NaN where a run did
 * not reach it, booleans as 0 and 1), its Metropolis-Hastings chains, the normalised weights.
 */
public final class Draws {

    private Draws() {
    }

    /** The named variables that hold one number (or boolean) per run where present. */
    public static List<String> scalarNames(Posterior p) {
        List<String> out = new ArrayList<>();
        for (String key : p.names()) {
            Marginal m = p.marginal(key);
            if (m.isScalar()) {
                out.add(key);
            }
        }
        return out;
    }

    /** Run i's value of a scalar variable, NaN where absent. */
    public static double[] column(Posterior p, String key) {
        double[] numbers = p.numbers(key);
        if (numbers != null) {
            return numbers;
        }
        double[] x = new double[p.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = number(p.value(key, i));
        }
        return x;
    }

    /** Whether every run holds a value. */
    public static boolean complete(double[] column) {
        for (double v : column) {
            // v != v is Double.isNaN's own test, without a call per draw while the loop is still interpreted.
            if (v != v) {
                return false;
            }
        }
        return true;
    }

    /** The runs' normalised weights. */
    public static double[] weights(Posterior p) {
        double[] w = new double[p.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = p.weight(i);
        }
        return w;
    }

    /** A column cut into its Metropolis-Hastings chains, in the order the posterior keeps them. */
    public static double[][] chains(double[] column, int[] lengths) {
        double[][] out = new double[lengths.length][];
        int start = 0;
        for (int c = 0; c < lengths.length; c++) {
            out[c] = java.util.Arrays.copyOfRange(column, start, start + lengths[c]);
            start += lengths[c];
        }
        return out;
    }

    /** A value as a number: numbers as they are, booleans 1 and 0, absent (or anything else) NaN. */
    static double number(Object v) {
        if (v instanceof Number) {
            return ((Number) v).doubleValue();
        }
        if (v instanceof Boolean) {
            return (Boolean) v ? 1 : 0;
        }
        return Double.NaN;
    }
}
