package dev.probe.diagnostics;

/** Sorting values with a companion, without boxing: a stable radix sort of an index permutation. */
final class Sorting {

    private Sorting() {
    }

    /**
     * The indices of {@code keys} in ascending order of their keys (Double.compare's order, ties in
     * index order): a least-significant-digit radix sort of the keys' bits, a byte at a time, so
     * O(n) with no comparison and no boxing.
     */
    static int[] order(double[] keys) {
        int n = keys.length;
        if (n == 0) {
            return new int[0];
        }
        long[] k = new long[n];
        long[] k2 = new long[n];
        int[] a = new int[n];
        int[] b = new int[n];
        for (int i = 0; i < n; i++) {
            long bits = Double.doubleToLongBits(keys[i]);
            // Flips the sign bit of a positive, every bit of a negative: unsigned order is then Double.compare's.
            k[i] = bits ^ ((bits >> 63) | Long.MIN_VALUE);
            a[i] = i;
        }
        int[] count = new int[257];
        for (int shift = 0; shift < 64; shift += 8) {
            java.util.Arrays.fill(count, 0);
            for (int i = 0; i < n; i++) {
                count[(int) (k[i] >>> shift & 0xFF) + 1]++;
            }
            if (count[(int) (k[0] >>> shift & 0xFF) + 1] == n) {
                continue;
            }
            for (int d = 0; d < 256; d++) {
                count[d + 1] += count[d];
            }
            for (int i = 0; i < n; i++) {
                int p = count[(int) (k[i] >>> shift & 0xFF)]++;
                k2[p] = k[i];
                b[p] = a[i];
            }
            long[] tk = k;
            k = k2;
            k2 = tk;
            int[] t = a;
            a = b;
            b = t;
        }
        return a;
    }

    /** Sorts {@code keys} ascending and applies the same permutation to {@code companion}. */
    static void sortTogether(double[] keys, double[] companion) {
        int[] order = order(keys);
        double[] k = keys.clone();
        double[] c = companion.clone();
        for (int i = 0; i < order.length; i++) {
            keys[i] = k[order[i]];
            companion[i] = c[order[i]];
        }
    }
}
