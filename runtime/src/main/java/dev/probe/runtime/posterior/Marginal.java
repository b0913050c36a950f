package dev.probe.runtime.posterior;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import dev.probe.runtime.distribution.Values;

/**
 * The posterior of one variable: a weighted empirical distribution over the runs in which it
 * occurred, with weights renormalised over those runs. Immutable; computed on demand from the
 * posterior's columns.
 */
public final class Marginal {

    /** The quantiles every summary reports. */
    public static final double[] SUMMARY_PROBABILITIES = {0.05, 0.5, 0.95};

    /** Values with less posterior probability than this are left out of {@link #pmf()}. */
    public static final double PMF_THRESHOLD = 1e-4;

    private final String key;
    private final ValueKind kind;
    private final double presence;
    private final int count;
    private final double[] mean;
    private final double[] stddev;
    private final Map<Double, double[]> quantiles;
    private final Map<Object, Double> pmf;
    private final double ess;

    private Marginal(String key, ValueKind kind, double presence, int count, double[] mean, double[] stddev,
            Map<Double, double[]> quantiles, Map<Object, Double> pmf, double ess) {
        this.key = key;
        this.kind = kind;
        this.presence = presence;
        this.count = count;
        this.mean = mean;
        this.stddev = stddev;
        this.quantiles = quantiles;
        this.pmf = pmf;
        this.ess = ess;
    }

    /** Summarises a column under normalised weights {@code w}; {@code chains} non-null for MH samples. */
    static Marginal of(String key, ColumnData column, double[] w, int[] chains) {
        ValueKind kind = column.kind();
        if (kind == null) {
            return new Marginal(key, ValueKind.OTHER, 0, 0, new double[0], new double[0], Map.of(), Map.of(), 0);
        }
        int n = column.capacity();
        double total = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (column.present(i)) {
                total += w[i];
                count++;
            }
        }
        if (kind.numeric()) {
            return numeric(key, kind, column.numbers(), w, total, count, chains);
        }
        if (kind == ValueKind.ARRAY) {
            return array(key, column.objects(), w, total, count);
        }
        Map<Object, Double> pmf = pmfOf(column, w, total);
        return new Marginal(key, kind, total, count, new double[0], new double[0], Map.of(), pmf, Double.NaN);
    }

    private static Marginal numeric(String key, ValueKind kind, double[] x, double[] w, double total, int count, int[] chains) {
        int n = x.length;
        double mean = 0;
        for (int i = 0; i < n; i++) {
            if (!Double.isNaN(x[i])) {
                mean += w[i] * x[i];
            }
        }
        mean /= total;
        double var = 0;
        for (int i = 0; i < n; i++) {
            if (!Double.isNaN(x[i])) {
                double d = x[i] - mean;
                var += w[i] * d * d;
            }
        }
        var /= total;
        double sumW2 = 0;
        for (int i = 0; i < n; i++) {
            if (!Double.isNaN(x[i])) {
                sumW2 += w[i] * w[i];
            }
        }
        double ess;
        if (chains != null && count == n) {
            ess = Statistics.autocorrelationEss(x, chains);
        } else {
            ess = sumW2 == 0 ? 0 : total * total / sumW2;
        }
        double[] values;
        double[] weights;
        if (kind == ValueKind.REAL) {
            values = new double[count];
            weights = new double[count];
            for (int i = 0, j = 0; i < n; i++) {
                if (!Double.isNaN(x[i])) {
                    values[j] = x[i];
                    weights[j++] = w[i];
                }
            }
        } else {
            // Integers and booleans take few distinct values: summing weights per value is far
            // cheaper than sorting every run.
            HashMap<Double, double[]> mass = new HashMap<>();
            for (int i = 0; i < n; i++) {
                if (!Double.isNaN(x[i])) {
                    mass.computeIfAbsent(x[i], v -> new double[1])[0] += w[i];
                }
            }
            values = new double[mass.size()];
            weights = new double[mass.size()];
            int j = 0;
            for (Map.Entry<Double, double[]> e : mass.entrySet()) {
                values[j] = e.getKey();
                weights[j++] = e.getValue()[0];
            }
        }
        Statistics.sortTogether(values, weights);
        Map<Double, double[]> quantiles = new LinkedHashMap<>();
        for (double p : SUMMARY_PROBABILITIES) {
            quantiles.put(p, new double[] {Statistics.quantileOfSorted(values, weights, total, p)});
        }
        Map<Object, Double> pmf = Map.of();
        if (kind != ValueKind.REAL) {
            TreeMap<Object, Double> m = new TreeMap<>();
            for (int i = 0; i < values.length; i++) {
                double p = weights[i] / total;
                if (p >= PMF_THRESHOLD) {
                    m.put(kind == ValueKind.BOOLEAN ? (Object) (values[i] != 0) : (Object) (long) values[i], p);
                }
            }
            pmf = Collections.unmodifiableMap(m);
        }
        return new Marginal(key, kind, total, count, new double[] {mean}, new double[] {Math.sqrt(var)},
                Collections.unmodifiableMap(quantiles), pmf, ess);
    }

    private static Marginal array(String key, Object[] objects, double[] w, double total, int count) {
        int dim = -1;
        for (Object o : objects) {
            if (o != null) {
                int len = Values.length(o);
                if (dim >= 0 && dim != len) {
                    dim = -2;
                    break;
                }
                dim = len;
            }
        }
        if (dim < 0) {
            // Arrays of different lengths have no element-wise summary.
            return new Marginal(key, ValueKind.ARRAY, total, count, new double[0], new double[0], Map.of(), Map.of(), Double.NaN);
        }
        double[] mean = new double[dim];
        double[] sq = new double[dim];
        double sumW2 = 0;
        for (int i = 0; i < objects.length; i++) {
            if (objects[i] == null) {
                continue;
            }
            for (int d = 0; d < dim; d++) {
                mean[d] += w[i] * component(objects[i], d);
            }
            sumW2 += w[i] * w[i];
        }
        for (int d = 0; d < dim; d++) {
            mean[d] /= total;
        }
        for (int i = 0; i < objects.length; i++) {
            if (objects[i] == null) {
                continue;
            }
            for (int d = 0; d < dim; d++) {
                double diff = component(objects[i], d) - mean[d];
                sq[d] += w[i] * diff * diff;
            }
        }
        double[] sd = new double[dim];
        for (int d = 0; d < dim; d++) {
            sd[d] = Math.sqrt(sq[d] / total);
        }
        return new Marginal(key, ValueKind.ARRAY, total, count, mean, sd, Map.of(), Map.of(),
                sumW2 == 0 ? 0 : total * total / sumW2);
    }

    /** Element d of an array value as a number, without copying the array. */
    private static double component(Object array, int d) {
        if (array instanceof double[]) {
            return ((double[]) array)[d];
        }
        if (array instanceof long[]) {
            return ((long[]) array)[d];
        }
        if (array instanceof boolean[]) {
            return ((boolean[]) array)[d] ? 1 : 0;
        }
        return Values.toDouble(Values.element(array, d), "element " + d);
    }

    private static Map<Object, Double> pmfOf(ColumnData column, double[] w, double total) {
        Map<Object, Double> mass = new LinkedHashMap<>();
        for (int i = 0; i < column.capacity(); i++) {
            Object v = column.get(i);
            if (v != null) {
                mass.merge(Values.format(v), w[i], Double::sum);
            }
        }
        Map<Object, Double> out = new LinkedHashMap<>();
        mass.forEach((k, m) -> {
            if (m / total >= PMF_THRESHOLD) {
                out.put(k, m / total);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /** The variable's key: a name, {@code name[k]}, or an address. */
    public String key() {
        return key;
    }

    /** How the values are summarised. */
    public ValueKind kind() {
        return kind;
    }

    /** The posterior probability that the variable occurs at all in a run. */
    public double presence() {
        return presence;
    }

    /** The number of runs in which it occurred. */
    public int count() {
        return count;
    }

    /** The posterior mean of a scalar variable. */
    public double mean() {
        requireScalar();
        return mean[0];
    }

    /** The posterior standard deviation of a scalar variable. */
    public double stddev() {
        requireScalar();
        return stddev[0];
    }

    /** Element-wise posterior means (one element for a scalar). */
    public double[] means() {
        return mean.clone();
    }

    /** Element-wise posterior standard deviations (one element for a scalar). */
    public double[] stddevs() {
        return stddev.clone();
    }

    /** Whether the variable is a number (or boolean) in every run. */
    public boolean isScalar() {
        return kind.numeric();
    }

    /** The quantile at probability p of a scalar variable; the summary's 0.05, 0.5, 0.95 are precomputed. */
    public double quantile(double p) {
        requireScalar();
        double[] q = quantiles.get(p);
        if (q == null) {
            throw new IllegalArgumentException("quantile " + p + " is not kept in a summary; ask the Posterior for it");
        }
        return q[0];
    }

    /** The reported quantiles: probability to value. */
    public Map<Double, Double> quantiles() {
        Map<Double, Double> out = new LinkedHashMap<>();
        quantiles.forEach((p, q) -> out.put(p, q[0]));
        return out;
    }

    /** Value to posterior probability, for integers, booleans and other discrete values (mass at least 1e-4). */
    public Map<Object, Double> pmf() {
        return pmf;
    }

    /** This variable's effective sample size: Kish's for weighted runs, from the autocorrelation for MH. */
    public double ess() {
        return ess;
    }

    private void requireScalar() {
        if (mean.length != 1 || !kind.numeric()) {
            throw new IllegalStateException(key + " is not a scalar number: use means(), stddevs() or pmf()");
        }
    }

    @Override
    public String toString() {
        return key + ": mean " + (mean.length == 1 ? mean[0] : java.util.Arrays.toString(mean))
                + ", stddev " + (stddev.length == 1 ? stddev[0] : java.util.Arrays.toString(stddev));
    }
}
