package dev.probe.diagnostics;

/** Sorting values with a companion, without boxing: a stable merge sort of an index permutation. */
final class Sorting {

    private Sorting() {
    }

    /** The indices of {@code keys} in ascending order of their keys (ties in index order). */
    static int[] order(double[] keys) {
        int n = keys.length;
        int[] a = new int[n];
        int[] b = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int width = 1; width < n; width <<= 1) {
            for (int lo = 0; lo < n; lo += 2 * width) {
                int mid = Math.min(lo + width, n);
                int hi = Math.min(lo + 2 * width, n);
                int i = lo;
                int j = mid;
                int k = lo;
                while (i < mid && j < hi) {
                    b[k++] = Double.compare(keys[a[j]], keys[a[i]]) < 0 ? a[j++] : a[i++];
                }
                while (i < mid) {
                    b[k++] = a[i++];
                }
                while (j < hi) {
                    b[k++] = a[j++];
                }
            }
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
