package dev.probe.runtime.distribution;

/**
 * Sums of numbers known by their logarithms, as a logarithm: log(sum exp(x_i)), shifted by the
 * largest x_i, so that no term overflows and the largest never underflows. Mixtures' densities,
 * the engines' weights and the training loss's mixtures all need it.
 */
public final class LogSum {

    private LogSum() {
    }

    /** log(sum(exp(x))): -inf for an empty or all -inf {@code x}; +inf or NaN where the largest is. */
    public static double of(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        if (max == Double.NEGATIVE_INFINITY || max == Double.POSITIVE_INFINITY || Double.isNaN(max)) {
            return max;
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }
}
