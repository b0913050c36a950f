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

    /**
     * The autocorrelation sums sum_i d[i] d[i + lag] of {@code chains} chains of {@code n} values
     * laid end to end, each centred as it is read (d = value - offsets[chain]), added over the
     * chains, unscaled: element lag of the result times {@code size}, exact for lags 0 .. size - n
     * (the zero padding keeps longer products from wrapping round). Two real chains share one
     * complex transform as its real and imaginary parts; their power spectra are added and one
     * inverse transform gives every lag.
     */
    static double[] summedAutocorrelation(double[] values, double[] offsets, int chains, int n, int size) {
        double[] power = new double[size];
        double[] re = new double[size];
        double[] im = new double[size];
        for (int c = 0; c < chains; c += 2) {
            java.util.Arrays.fill(re, 0);
            java.util.Arrays.fill(im, 0);
            double a = offsets[c];
            for (int i = 0; i < n; i++) {
                re[i] = values[c * n + i] - a;
            }
            if (c + 1 < chains) {
                double b = offsets[c + 1];
                for (int i = 0; i < n; i++) {
                    im[i] = values[(c + 1) * n + i] - b;
                }
            }
            transform(re, im, -1);
            // With Z = A + iB for real A and B: |A_k|^2 + |B_k|^2 = (|Z_k|^2 + |Z_(size-k)|^2) / 2.
            for (int k = 0; k < size; k++) {
                int r = (size - k) & (size - 1);
                power[k] += (re[k] * re[k] + im[k] * im[k] + re[r] * re[r] + im[r] * im[r]) / 2;
            }
        }
        java.util.Arrays.fill(im, 0);
        // The summed power spectrum is real and even, so its inverse transform is real.
        transform(power, im, 1);
        return power;
    }

    /** Radix-2 Cooley-Tukey in place; {@code sign} -1 forward, +1 inverse (unscaled). */
    private static void transform(double[] re, double[] im, int sign) {
        int n = re.length;
        // The bit-reversal permutation, r counting in reversed bits (no call per element: a first call
        // runs this loop partly in the interpreter).
        for (int i = 0, r = 0; i < n; i++) {
            if (r > i) {
                double t = re[i];
                re[i] = re[r];
                re[r] = t;
                t = im[i];
                im[i] = im[r];
                im[r] = t;
            }
            int bit = n >> 1;
            while ((r & bit) != 0) {
                r ^= bit;
                bit >>= 1;
            }
            r |= bit;
        }
        // The first stage's only twiddle is 1.
        for (int i = 0; i + 1 < n; i += 2) {
            double xr = re[i + 1];
            double xi = im[i + 1];
            re[i + 1] = re[i] - xr;
            im[i + 1] = im[i] - xi;
            re[i] += xr;
            im[i] += xi;
        }
        double[][] table = twiddles(n);
        double[] cos = table[0];
        double[] sin = table[1];
        for (int half = 2; half < n; half <<= 1) {
            // exp(sign i pi j / half) = the table's entry j n / (2 half).
            int step = n / (2 * half);
            for (int i = 0; i < n; i += 2 * half) {
                for (int j = 0, t = 0; j < half; j++, t += step) {
                    double c = cos[t];
                    double s = sign * sin[t];
                    int a = i + j;
                    int b = a + half;
                    double xr = re[b] * c - im[b] * s;
                    double xi = re[b] * s + im[b] * c;
                    re[b] = re[a] - xr;
                    im[b] = im[a] - xi;
                    re[a] += xr;
                    im[a] += xi;
                }
            }
        }
    }

    /**
     * cos and sin of 2 pi k / n for k &lt; n / 2, made once per transform size (the variables of a
     * posterior share one) and shared by threads as immutable arrays.
     */
    private static double[][] twiddles(int n) {
        double[][] table = lastTwiddles;
        if (table == null || table[0].length != n / 2) {
            double[] cos = new double[n / 2];
            double[] sin = new double[n / 2];
            for (int k = 0; k < n / 2; k++) {
                double angle = 2 * Math.PI * k / n;
                cos[k] = Math.cos(angle);
                sin[k] = Math.sin(angle);
            }
            table = new double[][] {cos, sin};
            lastTwiddles = table;
        }
        return table;
    }

    private static volatile double[][] lastTwiddles;
}
