package dev.probe.diagnostics;

import java.util.Arrays;

/**
 * The Pareto-smoothed importance-sampling shape estimate k-hat of a set of importance weights
 * (Vehtari, Simpson, Gelman, Yao and Gabry, JMLR 25(72), 2024): a generalized Pareto distribution
 * fitted to the largest min(0.2 S, 3 sqrt(S)) weights by Zhang and Stephens' (Technometrics 2009)
 * profile-likelihood method with its weakly informative prior, as the R package loo fits it.
 * k-hat below 0.5 means the weights have finite variance; up to min(1 - 1/log10 S, 0.7) the
 * estimate is reliable in practice; above, the importance-sampling estimate cannot be trusted.
 */
public final class ParetoK {

    /** The fewest tail draws a fit is made from; with fewer, k-hat is NaN. */
    public static final int MIN_TAIL = 5;

    private ParetoK() {
    }

    /** The number of largest weights the generalized Pareto is fitted to: ceil(min(0.2 S, 3 sqrt(S))). */
    public static int tailLength(int s) {
        return (int) Math.ceil(Math.min(0.2 * s, 3 * Math.sqrt(s)));
    }

    /**
     * The sample-size-dependent threshold of the paper (section 3.2.4): min(1 - 1/log10 S, 0.7);
     * above it the Pareto-smoothed estimate's error falls too slowly to be of use.
     */
    public static double threshold(int s) {
        return Math.min(1 - 1 / Math.log10(s), 0.7);
    }

    /**
     * k-hat of importance weights given as log weights (any normalisation; -infinity for zero
     * weight). NaN when the tail has fewer than {@link #MIN_TAIL} draws or its weights are all
     * equal (equal weights are not importance sampling: nothing to diagnose).
     */
    public static double khat(double[] logWeights) {
        int finite = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (double lw : logWeights) {
            if (lw > Double.NEGATIVE_INFINITY) {
                finite++;
                max = Math.max(max, lw);
            } else if (Double.isNaN(lw)) {
                throw new IllegalArgumentException("a log weight is NaN");
            }
        }
        if (max == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("a log weight is +infinity");
        }
        double[] sorted = new double[finite];
        int j = 0;
        for (double lw : logWeights) {
            if (lw > Double.NEGATIVE_INFINITY) {
                sorted[j++] = lw - max;
            }
        }
        // Zero weights are part of the sample: the tail is sized by S, all draws.
        int m = Math.min(tailLength(logWeights.length), finite - 1);
        if (m < MIN_TAIL) {
            return Double.NaN;
        }
        // Only the cutoff and the m weights above it need their order: a selection, then a short sort.
        select(sorted, finite - m - 1);
        Arrays.sort(sorted, finite - m - 1, finite);
        double cutoff = Math.exp(sorted[finite - m - 1]);
        double[] exceedances = new double[m];
        for (int i = 0; i < m; i++) {
            exceedances[i] = Math.exp(sorted[finite - m + i]) - cutoff;
        }
        if (exceedances[m - 1] <= 0) {
            return Double.NaN;
        }
        return gpdShape(exceedances);
    }

    /**
     * Rearranges {@code a} so that {@code a[k]} holds the value a sort would put there, with none
     * larger before it and none smaller after it (Hoare's selection, median-of-three pivots).
     */
    static void select(double[] a, int k) {
        int lo = 0;
        int hi = a.length - 1;
        while (hi > lo) {
            int mid = (lo + hi) >>> 1;
            double x = a[lo];
            double y = a[mid];
            double z = a[hi];
            double pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    double t = a[i];
                    a[i++] = a[j];
                    a[j--] = t;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    /**
     * Zhang and Stephens' estimate of a generalized Pareto's shape from exceedances sorted in
     * ascending order, with the prior (3 in theirs, on theta) and the final shrinkage of k towards
     * 0.5 by a weakly informative prior worth 10 observations, as loo's gpdfit does.
     */
    static double gpdShape(double[] x) {
        int n = x.length;
        int prior = 3;
        int grid = 30 + (int) Math.floor(Math.sqrt(n));
        double xstar = x[(int) Math.floor(n / 4.0 + 0.5) - 1];
        double[] theta = new double[grid];
        double[] logLik = new double[grid];
        double maxLogLik = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < grid; j++) {
            theta[j] = 1 / x[n - 1] + (1 - Math.sqrt(grid / (j + 0.5))) / prior / xstar;
            double k = meanLog1p(-theta[j], x);
            logLik[j] = n * (Math.log(-theta[j] / k) - k - 1);
            maxLogLik = Math.max(maxLogLik, logLik[j]);
        }
        double norm = 0;
        for (double l : logLik) {
            norm += Math.exp(l - maxLogLik);
        }
        double thetaHat = 0;
        for (int j = 0; j < grid; j++) {
            thetaHat += theta[j] * Math.exp(logLik[j] - maxLogLik) / norm;
        }
        double k = meanLog1p(-thetaHat, x);
        return (k * n + 10 * 0.5) / (n + 10);
    }

    private static double meanLog1p(double a, double[] x) {
        double s = 0;
        for (double v : x) {
            s += Math.log1p(a * v);
        }
        return s / x.length;
    }
}
