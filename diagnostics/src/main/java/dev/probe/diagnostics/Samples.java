package dev.probe.diagnostics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.posterior.Posterior;

/**
 * Draws of scalar variables as columns of numbers (NaN where a draw lacks the variable), with
 * normalised weights and, for Markov chains, each draw's chain. What {@code probe compare} reads,
 * from a saved posterior or an exported file alike. Immutable.
 */
public final class Samples {

    private final Map<String, double[]> columns;
    private final double[] weights;
    private final int[] chain;
    private final boolean weighted;

    /**
     * @param columns variable name to one value per draw
     * @param weights one per draw (normalised here), or null for equal weights
     * @param chain each draw's chain (draws of a chain contiguous and in order), or null
     */
    public Samples(Map<String, double[]> columns, double[] weights, int[] chain) {
        int n = -1;
        for (Map.Entry<String, double[]> e : columns.entrySet()) {
            if (n >= 0 && e.getValue().length != n) {
                throw new IllegalArgumentException("column " + e.getKey() + " has " + e.getValue().length + " draws, not " + n);
            }
            n = e.getValue().length;
        }
        if (weights != null) {
            n = weights.length;
        }
        if (n <= 0) {
            throw new IllegalArgumentException("no draws");
        }
        this.columns = new LinkedHashMap<>();
        columns.forEach((k, v) -> this.columns.put(k, v.clone()));
        this.weighted = weights != null;
        double[] w = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            w[i] = weights == null ? 1 : weights[i];
            if (!(w[i] >= 0) || Double.isInfinite(w[i])) {
                throw new IllegalArgumentException("draw " + i + " has a weight that is negative or not finite: " + w[i]);
            }
            total += w[i];
        }
        if (!(total > 0)) {
            throw new IllegalArgumentException("every draw has zero weight");
        }
        for (int i = 0; i < n; i++) {
            w[i] /= total;
        }
        this.weights = w;
        if (chain != null) {
            if (chain.length != n) {
                throw new IllegalArgumentException("chain ids for " + chain.length + " draws, not " + n);
            }
            for (int i = 1; i < n; i++) {
                if (chain[i] < chain[i - 1]) {
                    throw new IllegalArgumentException("draw " + i + "'s chain " + chain[i]
                            + " comes after chain " + chain[i - 1] + ": each chain's draws must be together");
                }
            }
        }
        this.chain = chain == null ? null : chain.clone();
    }

    /** The scalar variables of a posterior, with its weights and chains. */
    public static Samples of(Posterior p) {
        Map<String, double[]> columns = new LinkedHashMap<>();
        for (String key : Draws.scalarNames(p)) {
            columns.put(key, Draws.column(p, key));
        }
        int[] lengths = p.chainLengths();
        int[] chain = null;
        if (lengths != null) {
            chain = new int[p.size()];
            for (int c = 0, i = 0; c < lengths.length; c++) {
                for (int k = 0; k < lengths[c]; k++) {
                    chain[i++] = c;
                }
            }
        }
        return new Samples(columns, p.isWeighted() ? Draws.weights(p) : null, chain);
    }

    /** The number of draws. */
    public int size() {
        return weights.length;
    }

    /** The variables, in order. */
    public List<String> names() {
        return new ArrayList<>(columns.keySet());
    }

    /** A variable's values (a copy), NaN where absent. */
    public double[] column(String name) {
        double[] c = columns.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no variable '" + name + "'; there are " + names());
        }
        return c.clone();
    }

    /** The normalised weights (a copy). */
    public double[] weights() {
        return weights.clone();
    }

    /** Whether the draws carry unequal importance weights. */
    public boolean weighted() {
        return weighted;
    }

    /** Each draw's chain (a copy), or null for independent draws. */
    public int[] chains() {
        return chain == null ? null : chain.clone();
    }

    /** The lengths of the chains in order, or null for independent draws. */
    public int[] chainLengths() {
        if (chain == null) {
            return null;
        }
        List<Integer> lengths = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= chain.length; i++) {
            if (i == chain.length || chain[i] != chain[i - 1]) {
                lengths.add(i - start);
                start = i;
            }
        }
        return lengths.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * A variable's summary for comparisons: weighted mean and sd over the draws that hold it, its
     * effective sample size (ESS of the mean over chains, Kish's for weighted draws, the count for
     * independent equal ones), and the Monte Carlo standard errors of the mean and of the sd.
     */
    public Moments moments(String name) {
        double[] x = columns.get(name);
        if (x == null) {
            throw new IllegalArgumentException("no variable '" + name + "'; there are " + names());
        }
        double total = 0;
        double sumSq = 0;
        double mean = 0;
        int count = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isNaN(x[i])) {
                total += weights[i];
                sumSq += weights[i] * weights[i];
                mean += weights[i] * x[i];
                count++;
            }
        }
        mean /= total;
        double m2 = 0;
        double m4 = 0;
        for (int i = 0; i < x.length; i++) {
            if (!Double.isNaN(x[i])) {
                double d = x[i] - mean;
                m2 += weights[i] * d * d;
                m4 += weights[i] * d * d * d * d;
            }
        }
        m2 /= total;
        m4 /= total;
        double ess;
        if (chain != null && count == x.length) {
            ess = Convergence.essMean(Convergence.equalLengths(Draws.chains(x, chainLengths())));
        } else {
            ess = total * total / sumSq;
        }
        double sd = Math.sqrt(m2);
        // The sd's standard error by the delta method: var(s^2) = (m4 - m2^2) / ESS, d sd = d s^2 / (2 sd).
        double sdError = m2 > 0 ? Math.sqrt(Math.max(m4 - m2 * m2, 0) / ess) / (2 * sd) : 0;
        return new Moments(mean, sd, ess, sd / Math.sqrt(ess), sdError, count);
    }

    /**
     * Up to {@code n} equally weighted draws of the given variables, rows of values: weighted
     * draws resampled systematically (seeded), unweighted ones thinned evenly. Draws lacking any
     * of the variables are left out first.
     */
    public double[][] equallyWeighted(List<String> names, int n, long seed) {
        List<Integer> complete = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            boolean all = true;
            for (String name : names) {
                all &= !Double.isNaN(columns.get(name)[i]);
            }
            if (all && weights[i] > 0) {
                complete.add(i);
            }
        }
        if (complete.isEmpty()) {
            throw new IllegalArgumentException("no draw holds all of " + names);
        }
        int[] pick;
        if (weighted) {
            double[] w = new double[complete.size()];
            double total = 0;
            for (int j = 0; j < w.length; j++) {
                w[j] = weights[complete.get(j)];
                total += w[j];
            }
            UniformRandomProvider rng = Seeds.generator(seed, 0x632BE59BD9B4E019L);
            pick = new int[n];
            double u = rng.nextDouble() / n;
            double cum = w[0] / total;
            int i = 0;
            for (int j = 0; j < n; j++) {
                while (cum < u + (double) j / n && i < w.length - 1) {
                    cum += w[++i] / total;
                }
                pick[j] = complete.get(i);
            }
        } else {
            int m = Math.min(n, complete.size());
            pick = new int[m];
            for (int j = 0; j < m; j++) {
                pick[j] = complete.get((int) ((long) j * complete.size() / m));
            }
        }
        double[][] rows = new double[pick.length][names.size()];
        for (int j = 0; j < pick.length; j++) {
            for (int k = 0; k < names.size(); k++) {
                rows[j][k] = columns.get(names.get(k))[pick[j]];
            }
        }
        return rows;
    }

    /**
     * A variable's weighted moments and their Monte Carlo errors.
     *
     * @param count the draws that hold the variable
     */
    public record Moments(double mean, double sd, double ess, double meanError, double sdError, int count) {
    }

    @Override
    public String toString() {
        return "Samples" + names() + " x " + size() + (chain == null ? "" : " in " + Arrays.toString(chainLengths()));
    }
}
