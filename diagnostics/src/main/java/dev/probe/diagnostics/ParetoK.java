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
        return khat(java.nio.DoubleBuffer.wrap(logWeights));
    }

    /**
     * {@link #khat(double[])} of the log weights from {@code logWeights}' position to its limit (a
     * read-only view of a posterior's own): read in chunks, without a copy of them all. A fresh
     * array of a million doubles costs a fresh process more to touch than k-hat's arithmetic.
     */
    static double khat(java.nio.DoubleBuffer logWeights) {
        Tail t = tail(logWeights);
        return t.fittable() ? gpdShape(t.exceedances()) : Double.NaN;
    }

    /**
     * The tail a generalized Pareto is fitted to, as k-hat and {@link ParetoSmoothing} both take it.
     *
     * @param finite      how many of the weights are nonzero
     * @param max         the largest log weight
     * @param top         the m + 1 largest log weights, ascending (the first is the cutoff); null when m &lt; {@link #MIN_TAIL}
     * @param exceedances the m largest weights less the cutoff's, relative to the largest weight; null likewise
     */
    record Tail(int finite, double max, double[] top, double[] exceedances) {

        /** Whether there is a tail to fit: at least {@link #MIN_TAIL} draws, not all equal. */
        boolean fittable() {
            return exceedances != null && exceedances[exceedances.length - 1] > 0;
        }
    }

    /**
     * The tail of the log weights from {@code logWeights}' position to its limit (any normalisation;
     * -infinity for a zero weight): the largest M = min({@link #tailLength}(S), nonzero weights - 1)
     * as exceedances over the (M+1)-th largest.
     */
    static Tail tail(java.nio.DoubleBuffer logWeights) {
        int s = logWeights.remaining();
        double[] chunk = new double[Math.min(s, CHUNK)];
        int finite = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int from = 0; from < s; from += chunk.length) {
            int length = Math.min(chunk.length, s - from);
            logWeights.get(logWeights.position() + from, chunk, 0, length);
            for (int i = 0; i < length; i++) {
                double lw = chunk[i];
                // No call per weight (a first call runs this loop partly in the interpreter): lw > max is
                // Math.max here but for a 0.0 after a -0.0, which the weights exp(lw - max) do not tell apart.
                if (lw > Double.NEGATIVE_INFINITY) {
                    finite++;
                    if (lw > max) {
                        max = lw;
                    }
                } else if (lw != lw) {
                    throw new IllegalArgumentException("a log weight is NaN");
                }
            }
        }
        if (max == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("a log weight is +infinity");
        }
        // Zero weights are part of the sample: the tail is sized by S, all draws.
        int m = Math.min(tailLength(s), finite - 1);
        if (m < MIN_TAIL) {
            return new Tail(finite, max, null, null);
        }
        // Only the cutoff and the m weights above it matter, in order: kept in a heap as the weights pass by.
        double[] top = largest(logWeights, m + 1, chunk);
        double cutoff = Math.exp(top[0] - max);
        double[] exceedances = new double[m];
        for (int i = 0; i < m; i++) {
            exceedances[i] = Math.exp(top[i + 1] - max) - cutoff;
        }
        return new Tail(finite, max, top, exceedances);
    }

    /** Values read at once from a buffer: 32 KB, at home in the first caches. */
    private static final int CHUNK = 4096;

    /**
     * The {@code count} largest values (at most as many as there are values), ascending. Values
     * pass into a buffer of 4 count; when it is full, a selection keeps its count largest, and the
     * smallest of them becomes the bar a later value must pass (one that only equals it cannot
     * change which values are the largest). In random order few values pass the bar, so the pass
     * over S values costs O(S) predictable comparisons plus a few selections of 4 count values.
     */
    static double[] largest(double[] values, int count) {
        return largest(java.nio.DoubleBuffer.wrap(values), count, new double[Math.min(values.length, CHUNK)]);
    }

    /** {@link #largest(double[], int)} of the values from the buffer's position to its limit, read through {@code chunk}. */
    private static double[] largest(java.nio.DoubleBuffer values, int count, double[] chunk) {
        int s = values.remaining();
        if (count >= s) {
            double[] all = new double[s];
            values.get(values.position(), all, 0, s);
            Arrays.sort(all);
            return all;
        }
        double[] buffer = new double[Math.max(4 * count, 16)];
        int size = 0;
        boolean barred = false;
        double bar = 0;
        for (int from = 0; from < s; from += chunk.length) {
            int length = Math.min(chunk.length, s - from);
            values.get(values.position() + from, chunk, 0, length);
            for (int i = 0; i < length; i++) {
                double v = chunk[i];
                if (!barred || v > bar) {
                    buffer[size++] = v;
                    if (size == buffer.length) {
                        // The count largest so far move to the front; the smallest of them is the bar.
                        select(buffer, size, size - count);
                        System.arraycopy(buffer, size - count, buffer, 0, count);
                        size = count;
                        bar = buffer[0];
                        barred = true;
                    }
                }
            }
        }
        if (size > count) {
            select(buffer, size, size - count);
            System.arraycopy(buffer, size - count, buffer, 0, count);
        }
        double[] out = Arrays.copyOf(buffer, count);
        Arrays.sort(out);
        return out;
    }

    /**
     * Reorders a[0 .. size) so that a[k] is the value a sort would put there, none before it larger
     * and none after it smaller (Hoare's selection, median-of-three pivots). Values must not be NaN.
     */
    private static void select(double[] a, int size, int k) {
        int lo = 0;
        int hi = size - 1;
        while (hi > lo) {
            int mid = (lo + hi) >>> 1;
            // Median of three to a[mid]; a[lo] <= a[mid] <= a[hi] then bound the scans.
            if (a[mid] < a[lo]) {
                swap(a, mid, lo);
            }
            if (a[hi] < a[lo]) {
                swap(a, hi, lo);
            }
            if (a[hi] < a[mid]) {
                swap(a, hi, mid);
            }
            double pivot = a[mid];
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
                    swap(a, i++, j--);
                }
            }
            // Now a[lo .. j] <= pivot <= a[i .. hi], and any between equal the pivot.
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    private static void swap(double[] a, int i, int j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /**
     * Zhang and Stephens' estimate of a generalized Pareto's shape from exceedances sorted in
     * ascending order, with the prior (3 in theirs, on theta) and the final shrinkage of k towards
     * 0.5 by a weakly informative prior worth 10 observations, as loo's gpdfit does.
     */
    static double gpdShape(double[] x) {
        return gpdFit(x)[0];
    }

    /** {@link #gpdShape(double[])}, its grid shared among cores or not (the same figures: tested). */
    static double gpdShape(double[] x, boolean parallel) {
        return gpdFit(x, parallel)[0];
    }

    /** {shape, scale} of the generalized Pareto fitted to exceedances in ascending order, as {@link #gpdShape(double[])}. */
    static double[] gpdFit(double[] x) {
        return gpdFit(x, (long) (30 + (int) Math.floor(Math.sqrt(x.length))) * x.length >= PARALLEL_FIT);
    }

    /**
     * {@link #gpdFit(double[])}: the shape shrunk towards 0.5 as {@link #gpdShape(double[])} gives
     * it, the scale -k / theta from the shape before that shrinkage, as loo's gpdfit returns them.
     */
    static double[] gpdFit(double[] x, boolean parallel) {
        int n = x.length;
        int prior = 3;
        int grid = 30 + (int) Math.floor(Math.sqrt(n));
        double xstar = x[(int) Math.floor(n / 4.0 + 0.5) - 1];
        double[] theta = new double[grid];
        double[] logLik = new double[grid];
        // Nearly all the time goes to the grid's points, a log1p per tail weight each: they are independent,
        // so they are shared among cores, each computed as alone whatever the thread count. A small fit
        // (under 2^17 log1p: 100,000 weights give 57,000, a million 252,000) stays on this thread: starting the common pool
        // and its stream would cost a fresh process more than the fit.
        if (!parallel) {
            for (int j = 0; j < grid; j++) {
                gridPoint(j, grid, prior, xstar, x, theta, logLik);
            }
        } else {
            java.util.stream.IntStream.range(0, grid).parallel().forEach(j -> gridPoint(j, grid, prior, xstar, x, theta, logLik));
        }
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
        return new double[] {(k * n + 10 * 0.5) / (n + 10), -k / thetaHat};
    }

    /** Grid point j: its theta and the profile log-likelihood there. */
    private static void gridPoint(int j, int grid, int prior, double xstar, double[] x, double[] theta, double[] logLik) {
        int n = x.length;
        theta[j] = 1 / x[n - 1] + (1 - Math.sqrt(grid / (j + 0.5))) / prior / xstar;
        double k = meanLog1p(-theta[j], x);
        logLik[j] = n * (Math.log(-theta[j] / k) - k - 1);
    }

    /** The fits (grid points times tail weights) from which the grid is shared among cores. */
    static final long PARALLEL_FIT = 1 << 17;

    private static double meanLog1p(double a, double[] x) {
        double s = 0;
        for (double v : x) {
            s += log1p(a * v);
        }
        return s / x.length;
    }

    /**
     * log(1 + y) for y &gt; -1 as log(u) y / (u - 1) with u = 1 + y rounded: the rounding of u
     * cancels in the ratio (Goldberg, What every computer scientist should know about
     * floating-point arithmetic, 1991, theorem 4), so it is within a few ulps of the exact value
     * (at most 2 ulps from Math.log1p measured, tested), where Math.log1p is a native call on Java
     * 17 at about 2.5 times the cost of Math.log's intrinsic.
     */
    static double log1p(double y) {
        double u = 1 + y;
        return u == 1 ? y : Math.log(u) * (y / (u - 1));
    }
}
