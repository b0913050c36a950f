package dev.probe.diagnostics;

import java.util.Arrays;
import java.util.Locale;

import dev.probe.runtime.posterior.Posterior;

/**
 * Pareto-smoothed importance sampling (Vehtari, Simpson, Gelman, Yao and Gabry, JMLR 25(72),
 * 2024): the largest M = min(0.2 S, 3 sqrt(S)) of S importance weights are replaced by the
 * quantiles, at (i - 1/2) / M, of the generalized Pareto distribution {@link ParetoK} fits to them,
 * never above the largest raw weight. A run that landed far in the proposal's tail then weighs
 * what the fitted tail says a run there weighs, not what its one draw says, which lowers the
 * variance of every weighted mean for a small bias that vanishes as S grows, as long as k-hat is
 * below {@link ParetoK#threshold}: above it the fit says the tail is too heavy for any estimate, and
 * smoothing only hides that ({@link #of} keeps the raw weights there, where loo smooths and warns).
 * Weights tied with the cutoff keep their value (loo gives them the lowest quantiles); the runs
 * strictly above it take the highest ranks.
 */
public final class ParetoSmoothing {

    /**
     * @param logWeights the smoothed log weights (the raw ones where the tail could not be fitted)
     * @param khat       the tail's shape, as {@link ParetoK#khat} gives it for the raw weights (NaN
     *                   when there was no tail to fit)
     * @param tail       how many weights were replaced (0 when none)
     * @param notFitted  why no tail was fitted (null when one was): too few weighted runs, equal
     *                   weights, or a fit that failed (ties at the cutoff, say)
     */
    public record Smoothed(double[] logWeights, double khat, int tail, String notFitted) {
    }

    /** The posterior's info key that says how its weights were smoothed. */
    public static final String INFO_KEY = "smoothing";
    /** The posterior's info key that keeps the raw weights' k-hat (a smoothed tail's own k-hat says nothing). */
    public static final String KHAT_KEY = "pareto_khat";

    private ParetoSmoothing() {
    }

    /**
     * The posterior with its weights smoothed where its k-hat is at most {@link ParetoK#threshold}
     * for its number of runs, else null (as also where no tail could be fitted); {@code smoothed}
     * says which and why.
     */
    public record Outcome(Posterior posterior, double khat, int tail, double threshold, String notFitted) {
        public boolean smoothed() {
            return posterior != null;
        }
    }

    /** {@link #smooth(double[])} applied to a posterior of independent weighted runs. */
    public static Outcome of(Posterior p) {
        if (p.info().containsKey(INFO_KEY)) {
            throw new IllegalArgumentException("these weights are already Pareto-smoothed: smooth the raw ones");
        }
        Smoothed s = smooth(p.logWeights());
        double limit = ParetoK.threshold(p.size());
        if (s.notFitted() != null || !(s.khat() <= limit)) {
            return new Outcome(null, s.khat(), s.tail(), limit, s.notFitted());
        }
        String note = String.format(Locale.ROOT, "Pareto-smoothed importance sampling: the largest %d of %d weights"
                + " (k-hat %.2f)", s.tail(), p.size(), s.khat());
        Posterior smoothed = p.reweighted(s.logWeights(), "psis", java.util.Map.of(INFO_KEY, note, KHAT_KEY,
                Double.toString(s.khat())));
        return new Outcome(smoothed, s.khat(), s.tail(), limit, null);
    }

    /** The log weights (any normalisation; -infinity for a zero weight) with their tail smoothed. */
    public static Smoothed smooth(double[] logWeights) {
        ParetoK.Tail t = ParetoK.tail(java.nio.DoubleBuffer.wrap(logWeights));
        if (t.exceedances() == null) {
            return new Smoothed(logWeights.clone(), Double.NaN, 0, String.format(Locale.ROOT,
                    "too few runs with weight to fit a tail to (%,d of %,d)", t.finite(), logWeights.length));
        }
        if (!t.fittable()) {
            return new Smoothed(logWeights.clone(), Double.NaN, 0, "the largest weights are equal: there is no tail to smooth");
        }
        double[] exceedances = t.exceedances();
        int m = exceedances.length;
        double cutoffLog = t.top()[0];
        double cutoff = Math.exp(cutoffLog - t.max());
        double[] fit = ParetoK.gpdFit(exceedances);
        double k = fit[0];
        double sigma = fit[1];
        if (!Double.isFinite(k) || !(sigma > 0) || sigma == Double.POSITIVE_INFINITY) {
            // A quarter of the tail at the cutoff itself (ties: repeated particles, discrete weights) leaves the fit
            // without a scale; loo keeps the raw weights there too.
            return new Smoothed(logWeights.clone(), k, 0, "the tail could not be fitted (many of its weights equal its cutoff)");
        }
        // The runs above the cutoff, lightest first (ties by run, so the result is the same however
        // the runs were ordered by threads); weights equal to the cutoff stay as they are.
        Integer[] runs = new Integer[m];
        int count = 0;
        for (int i = 0; i < logWeights.length && count < m; i++) {
            if (logWeights[i] > cutoffLog) {
                runs[count++] = i;
            }
        }
        Integer[] tail = Arrays.copyOf(runs, count);
        Arrays.sort(tail, (a, b) -> {
            int c = Double.compare(logWeights[a], logWeights[b]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        double[] out = logWeights.clone();
        for (int j = 0; j < count; j++) {
            // The j-th lightest of the runs above the cutoff holds rank m - count + j of the m.
            double p = (m - count + j + 0.5) / m;
            double q = quantile(p, k, sigma) + cutoff;
            out[tail[j]] = Math.min(Math.log(q), 0) + t.max();
        }
        return new Smoothed(out, k, count, null);
    }

    /** The generalized Pareto's quantile at p for shape k and scale sigma (location 0). */
    static double quantile(double p, double k, double sigma) {
        double log = Math.log1p(-p);
        return Math.abs(k) < 1e-12 ? -sigma * log : sigma * Math.expm1(-k * log) / k;
    }
}
