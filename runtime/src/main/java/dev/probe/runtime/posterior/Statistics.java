package dev.probe.runtime.posterior;

import java.util.Arrays;

import dev.probe.runtime.distribution.LogSum;

/**
 * Weighted summaries over columns: moments, quantiles, effective sample sizes. Normalising log
 * weights and Kish's ESS are public, for code that weighs runs outside a posterior (the trainer's
 * wake phase).
 */
public final class Statistics {

    private Statistics() {
    }

    /** Weights proportional to exp(logWeights), summing to one (all zero when every log weight is -inf). */
    public static double[] normalize(double[] logWeights) {
        double lse = LogSum.of(logWeights);
        double[] w = new double[logWeights.length];
        if (lse == Double.NEGATIVE_INFINITY) {
            return w;
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.exp(logWeights[i] - lse);
        }
        return w;
    }

    /** Kish's effective sample size (sum w)^2 / sum w^2 of normalised weights. */
    public static double kish(double[] weights) {
        double s = 0;
        double s2 = 0;
        for (double w : weights) {
            s += w;
            s2 += w * w;
        }
        return s2 == 0 ? 0 : s * s / s2;
    }

    /**
     * The weighted quantile of type 1 (inverse of the weighted empirical distribution function):
     * the smallest value whose cumulative weight reaches p. {@code values} and {@code weights}
     * must be sorted by value together.
     */
    static double quantileOfSorted(double[] values, double[] weights, double total, double p) {
        double target = p * total;
        double cum = 0;
        for (int i = 0; i < values.length; i++) {
            cum += weights[i];
            if (cum >= target && weights[i] > 0) {
                return values[i];
            }
        }
        // Rounding left the total short of target: the largest value with weight.
        for (int i = values.length - 1; i >= 0; i--) {
            if (weights[i] > 0) {
                return values[i];
            }
        }
        return Double.NaN;
    }

    /** Sorts {@code keys} ascending, permuting {@code companion} alike. */
    static void sortTogether(double[] keys, double[] companion) {
        quicksort(keys, companion, 0, keys.length - 1);
    }

    private static void quicksort(double[] a, double[] b, int lo, int hi) {
        while (hi - lo > 16) {
            int mid = (lo + hi) >>> 1;
            // Median of three as the pivot keeps sorted and reversed inputs fast.
            if (a[mid] < a[lo]) {
                swap(a, b, mid, lo);
            }
            if (a[hi] < a[lo]) {
                swap(a, b, hi, lo);
            }
            if (a[hi] < a[mid]) {
                swap(a, b, hi, mid);
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
                    swap(a, b, i, j);
                    i++;
                    j--;
                }
            }
            // Recurse into the smaller side, loop on the larger: the stack stays logarithmic.
            if (j - lo < hi - i) {
                quicksort(a, b, lo, j);
                lo = i;
            } else {
                quicksort(a, b, i, hi);
                hi = j;
            }
        }
        for (int i = lo + 1; i <= hi; i++) {
            double ka = a[i];
            double kb = b[i];
            int j = i - 1;
            while (j >= lo && a[j] > ka) {
                a[j + 1] = a[j];
                b[j + 1] = b[j];
                j--;
            }
            a[j + 1] = ka;
            b[j + 1] = kb;
        }
    }

    private static void swap(double[] a, double[] b, int i, int j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
        t = b[i];
        b[i] = b[j];
        b[j] = t;
    }

    /**
     * The effective sample size of a Markov chain's values from their autocorrelation, by Geyer's
     * initial monotone sequence estimator (Geyer 1992), summed over independent chains.
     */
    static double autocorrelationEss(double[] values, int[] chainLengths) {
        double total = 0;
        int start = 0;
        for (int len : chainLengths) {
            total += chainEss(Arrays.copyOfRange(values, start, start + len));
            start += len;
        }
        return total;
    }

    private static double chainEss(double[] x) {
        int n = x.length;
        if (n < 4) {
            return n;
        }
        double[] acov = autocovariance(x);
        if (acov[0] <= 0) {
            // A constant chain: every sample is the same, so nothing is learned beyond one.
            return 1;
        }
        // Sums of adjacent pairs of autocorrelations, kept while positive and made non-increasing.
        double sum = 0;
        double previousPair = Double.POSITIVE_INFINITY;
        for (int k = 0; 2 * k + 1 < n; k++) {
            double pair = (acov[2 * k] + acov[2 * k + 1]) / acov[0];
            if (pair <= 0) {
                break;
            }
            pair = Math.min(pair, previousPair);
            previousPair = pair;
            sum += pair;
        }
        // tau = -1 + 2 * sum of the pairs.
        double tau = Math.max(2 * sum - 1, 1.0 / n);
        return Math.min(n / tau, n * Math.log10(n));
    }

    /** Autocovariances at lags 0 .. n-1 (biased, divided by n), by FFT. */
    static double[] autocovariance(double[] x) {
        int n = x.length;
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= n;
        int size = Integer.highestOneBit(2 * n - 1) << 1;
        double[] re = new double[size];
        double[] im = new double[size];
        for (int i = 0; i < n; i++) {
            re[i] = x[i] - mean;
        }
        fft(re, im, false);
        for (int i = 0; i < size; i++) {
            re[i] = re[i] * re[i] + im[i] * im[i];
            im[i] = 0;
        }
        fft(re, im, true);
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            out[k] = re[k] / size / n;
        }
        return out;
    }

    /** In-place iterative radix-2 FFT; the inverse is unscaled. */
    private static void fft(double[] re, double[] im, boolean inverse) {
        int n = re.length;
        for (int i = 1, j = 0; i < n; i++) {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) {
                j ^= bit;
            }
            j ^= bit;
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
        for (int len = 2; len <= n; len <<= 1) {
            double angle = 2 * Math.PI / len * (inverse ? 1 : -1);
            double wr = Math.cos(angle);
            double wi = Math.sin(angle);
            for (int i = 0; i < n; i += len) {
                double cr = 1;
                double ci = 0;
                for (int j = 0; j < len / 2; j++) {
                    int a = i + j;
                    int b = a + len / 2;
                    double ur = re[a];
                    double ui = im[a];
                    double vr = re[b] * cr - im[b] * ci;
                    double vi = re[b] * ci + im[b] * cr;
                    re[a] = ur + vr;
                    im[a] = ui + vi;
                    re[b] = ur - vr;
                    im[b] = ui - vi;
                    double nr = cr * wr - ci * wi;
                    ci = cr * wi + ci * wr;
                    cr = nr;
                }
            }
        }
    }
}
