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
        // Zero weights are part of the sample: the tail is sized by S, all draws.
        int m = Math.min(tailLength(logWeights.length), finite - 1);
        if (m < MIN_TAIL) {
            return Double.NaN;
        }
        // Only the cutoff and the m weights above it matter, in order: kept in a heap as the weights pass by.
        double[] top = largest(logWeights, m + 1);
        double cutoff = Math.exp(top[0] - max);
        double[] exceedances = new double[m];
        for (int i = 0; i < m; i++) {
            exceedances[i] = Math.exp(top[i + 1] - max) - cutoff;
        }
        if (exceedances[m - 1] <= 0) {
            return Double.NaN;
        }
        return gpdShape(exceedances);
    }

    /**
     * The {@code count} largest values (at most as many as there are values), ascending: a min-heap
     * of the largest so far, whose root is the one to beat, so a pass over S values costs O(S) plus
     * O(count log count log S) replacements for values in random order.
     */
    static double[] largest(double[] values, int count) {
        double[] heap = new double[count];
        int size = 0;
        for (double v : values) {
            if (size < count) {
                // Sift up.
                int i = size++;
                while (i > 0 && heap[(i - 1) / 2] > v) {
                    heap[i] = heap[(i - 1) / 2];
                    i = (i - 1) / 2;
                }
                heap[i] = v;
            } else if (v > heap[0]) {
                siftDown(heap, v, count);
            }
        }
        Arrays.sort(heap);
        return heap;
    }

    /** Replaces the heap's root by {@code v} and restores the order below it. */
    private static void siftDown(double[] heap, double v, int size) {
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && heap[child + 1] < heap[child]) {
                child++;
            }
            if (heap[child] >= v) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = v;
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
        // Nearly all the time goes to the grid's S log1p calls (a native call each on Java 17): its points
        // are independent, so they are shared among cores, each computed as alone whatever the thread count.
        java.util.stream.IntStream.range(0, grid).parallel().forEach(j -> {
            theta[j] = 1 / x[n - 1] + (1 - Math.sqrt(grid / (j + 0.5))) / prior / xstar;
            double k = meanLog1p(-theta[j], x);
            logLik[j] = n * (Math.log(-theta[j] / k) - k - 1);
        });
        double maxLogLik = Double.NEGATIVE_INFINITY;
        for (double l : logLik) {
            maxLogLik = Math.max(maxLogLik, l);
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
