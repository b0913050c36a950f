package dev.probe.diagnostics;

import java.util.ArrayList;
import java.util.List;

/**
 * How two sets of draws differ: per variable, the differences of means and of standard deviations
 * in Monte Carlo standard errors and the Kolmogorov-Smirnov distance against its 0.1% critical
 * value at the effective sample sizes; jointly, the classifier two-sample test.
 *
 * @param variables per-variable comparisons
 * @param c2st the joint classifier test, or null when skipped
 */
public record Comparison(List<Variable> variables, Joint c2st) {

    /** A difference beyond this many standard errors is reported (two-sided, about 6e-5 by chance per figure). */
    public static final double Z_LIMIT = 4;
    /** The asymptotic two-sample KS critical coefficient at level 0.001: sqrt(-ln(0.0005) / 2). */
    public static final double KS_COEFFICIENT = Math.sqrt(-Math.log(0.0005) / 2);

    public Comparison {
        variables = List.copyOf(variables);
    }

    /**
     * One variable's comparison.
     *
     * @param meanZ (mean A - mean B) / sqrt(se_A^2 + se_B^2)
     * @param sdZ the same for the standard deviations
     * @param ks the Kolmogorov-Smirnov distance of the weighted distributions
     * @param ksLimit its critical value at level 0.001 for the two effective sample sizes
     */
    public record Variable(String name, Samples.Moments a, Samples.Moments b, double meanZ, double sdZ, double ks, double ksLimit) {

        /** Whether any figure passes its limit. */
        public boolean differs() {
            return Math.abs(meanZ) > Z_LIMIT || Math.abs(sdZ) > Z_LIMIT || ks > ksLimit;
        }
    }

    /**
     * The classifier two-sample test's outcome.
     *
     * @param limit 0.5 plus 4 standard deviations of the held-out accuracy of a chance classifier
     */
    public record Joint(double accuracy, double limit, int drawsA, int drawsB, List<String> variables) {

        public Joint {
            variables = List.copyOf(variables);
        }
    }

    /** Whether nothing tells the two apart. */
    public boolean same() {
        for (Variable v : variables) {
            if (v.differs()) {
                return false;
            }
        }
        return c2st == null || c2st.accuracy() <= c2st.limit();
    }

    /** One sentence for people. */
    public String verdict() {
        List<String> differ = new ArrayList<>();
        for (Variable v : variables) {
            if (v.differs()) {
                differ.add(v.name());
            }
        }
        if (same()) {
            return "verdict: no difference beyond Monte Carlo error" + (c2st == null ? " (C2ST skipped)" : "");
        }
        return "verdict: the posteriors differ" + (differ.isEmpty() ? " jointly (C2ST)" : " in " + String.join(", ", differ));
    }

    /**
     * Compares {@code a} with {@code b} on {@code names}; the classifier test uses up to
     * {@code c2stDraws} equally weighted draws of each, as many of one as of the other (none:
     * skipped), never more than either sample's effective size (rounded down), since resampling
     * beyond it only repeats draws, which a classifier could memorise.
     */
    public static Comparison of(Samples a, Samples b, List<String> names, int c2stDraws, long seed) {
        List<Variable> vars = new ArrayList<>();
        for (String name : names) {
            Samples.Moments ma = a.moments(name);
            Samples.Moments mb = b.moments(name);
            double meanZ = (ma.mean() - mb.mean()) / Math.hypot(ma.meanError(), mb.meanError());
            double sdZ = (ma.sd() - mb.sd()) / Math.hypot(ma.sdError(), mb.sdError());
            double[] xa = present(a.column(name), a.weights());
            double[] xb = present(b.column(name), b.weights());
            double ks = TwoSample.ksDistance(values(a.column(name)), xa, values(b.column(name)), xb);
            double ksLimit = KS_COEFFICIENT * Math.sqrt(1 / ma.ess() + 1 / mb.ess());
            vars.add(new Variable(name, ma, mb, zero(meanZ), zero(sdZ), ks, ksLimit));
        }
        Joint joint = null;
        if (c2stDraws > 0) {
            // Equal sizes: with unequal ones a classifier that always answers the larger wins by the ratio alone.
            int n = Math.min(draws(a, names, c2stDraws), draws(b, names, c2stDraws));
            double[][] ra = a.equallyWeighted(names, n, seed);
            double[][] rb = b.equallyWeighted(names, n, seed + 1);
            ra = java.util.Arrays.copyOf(ra, Math.min(ra.length, rb.length));
            rb = java.util.Arrays.copyOf(rb, ra.length);
            if (ra.length >= C2st.FOLDS && rb.length >= C2st.FOLDS) {
                double acc = C2st.accuracy(ra, rb, seed);
                joint = new Joint(acc, 0.5 + Z_LIMIT * Math.sqrt(0.25 / (ra.length + rb.length)), ra.length, rb.length, names);
            }
        }
        return new Comparison(vars, joint);
    }

    private static int draws(Samples s, List<String> names, int cap) {
        double ess = Double.POSITIVE_INFINITY;
        for (String n : names) {
            ess = Math.min(ess, s.moments(n).ess());
        }
        return (int) Math.max(1, Math.min(cap, Math.floor(ess)));
    }

    /** 0/0 (two identical constant samples) is no difference. */
    private static double zero(double z) {
        return Double.isNaN(z) ? 0 : z;
    }

    private static double[] values(double[] column) {
        return java.util.Arrays.stream(column).filter(v -> !Double.isNaN(v)).toArray();
    }

    private static double[] present(double[] column, double[] weights) {
        double[] out = new double[(int) java.util.Arrays.stream(column).filter(v -> !Double.isNaN(v)).count()];
        for (int i = 0, j = 0; i < column.length; i++) {
            if (!Double.isNaN(column[i])) {
                out[j++] = weights[i];
            }
        }
        return out;
    }
}
