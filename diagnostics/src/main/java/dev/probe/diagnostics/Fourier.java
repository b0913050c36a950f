package dev.probe.diagnostics;

/** Autocovariances by the fast Fourier transform (Wiener-Khinchin), so long chains cost n log n. */
final class Fourier {

    private Fourier() {
    }

    /** Biased autocovariances (divided by n) at lags 0 .. n-1 of already centred values. */
    static double[] autocovariance(double[] centred) {
        int n = centred.length;
        int size = 1;
        while (size < 2 * n) {
            size <<= 1;
        }
        double[] re = new double[size];
        double[] im = new double[size];
        System.arraycopy(centred, 0, re, 0, n);
        transform(re, im, -1);
        for (int k = 0; k < size; k++) {
            re[k] = re[k] * re[k] + im[k] * im[k];
            im[k] = 0;
        }
        transform(re, im, 1);
        double[] out = new double[n];
        for (int lag = 0; lag < n; lag++) {
            out[lag] = re[lag] / ((double) size * n);
        }
        return out;
    }

    /** Radix-2 Cooley-Tukey in place; {@code sign} -1 forward, +1 inverse (unscaled). */
    private static void transform(double[] re, double[] im, int sign) {
        int n = re.length;
        int bits = Integer.numberOfTrailingZeros(n);
        for (int i = 0; i < n; i++) {
            int r = Integer.reverse(i) >>> (32 - bits);
            if (r > i) {
                exchange(re, i, r);
                exchange(im, i, r);
            }
        }
        for (int half = 1; half < n; half <<= 1) {
            // Twiddles by recurrence from the stage's first root: two trig calls per stage, not per j.
            double stepC = Math.cos(sign * Math.PI / half);
            double stepS = Math.sin(sign * Math.PI / half);
            double c = 1;
            double s = 0;
            for (int j = 0; j < half; j++) {
                if (j > 0) {
                    double next = c * stepC - s * stepS;
                    s = c * stepS + s * stepC;
                    c = next;
                }
                for (int i = j; i < n; i += 2 * half) {
                    int k = i + half;
                    double xr = re[k] * c - im[k] * s;
                    double xi = re[k] * s + im[k] * c;
                    re[k] = re[i] - xr;
                    im[k] = im[i] - xi;
                    re[i] += xr;
                    im[i] += xi;
                }
            }
        }
    }

    private static void exchange(double[] a, int i, int j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
