package dev.probe.diagnostics;

/** Distances between two weighted samples of one scalar variable. */
public final class TwoSample {

    private TwoSample() {
    }

    /**
     * The Kolmogorov-Smirnov distance sup |F_a(x) - F_b(x)| between the weighted empirical
     * distribution functions of two samples (weights need not be normalised; null means equal
     * weights). Tied values are stepped over together, so discrete variables are compared exactly.
     */
    public static double ksDistance(double[] a, double[] weightsA, double[] b, double[] weightsB) {
        double[] wa = normalised(a, weightsA, "first");
        double[] wb = normalised(b, weightsB, "second");
        double[] xa = a.clone();
        double[] xb = b.clone();
        Sorting.sortTogether(xa, wa);
        Sorting.sortTogether(xb, wb);
        double fa = 0;
        double fb = 0;
        double d = 0;
        int i = 0;
        int j = 0;
        while (i < xa.length || j < xb.length) {
            double x = Math.min(i < xa.length ? xa[i] : Double.POSITIVE_INFINITY,
                    j < xb.length ? xb[j] : Double.POSITIVE_INFINITY);
            while (i < xa.length && xa[i] == x) {
                fa += wa[i++];
            }
            while (j < xb.length && xb[j] == x) {
                fb += wb[j++];
            }
            d = Math.max(d, Math.abs(fa - fb));
        }
        return d;
    }

    private static double[] normalised(double[] x, double[] w, String which) {
        if (x.length == 0) {
            throw new IllegalArgumentException("the " + which + " sample is empty");
        }
        for (double v : x) {
            if (Double.isNaN(v)) {
                throw new IllegalArgumentException("the " + which + " sample holds NaN");
            }
        }
        double[] out = new double[x.length];
        double total = 0;
        for (int i = 0; i < x.length; i++) {
            out[i] = w == null ? 1 : w[i];
            if (!(out[i] >= 0) || out[i] == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("the " + which + " sample has a weight that is negative or not finite: " + out[i]);
            }
            total += out[i];
        }
        if (total <= 0) {
            throw new IllegalArgumentException("the " + which + " sample's weights are all zero");
        }
        for (int i = 0; i < out.length; i++) {
            out[i] /= total;
        }
        return out;
    }
}
