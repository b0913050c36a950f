package dev.probe.diagnostics;

import java.util.Arrays;

/** Sorting values with a companion array. */
final class Sorting {

    private Sorting() {
    }

    /** Sorts {@code keys} ascending and applies the same permutation to {@code companion}. */
    static void sortTogether(double[] keys, double[] companion) {
        int n = keys.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] k = keys.clone();
        Arrays.sort(order, (a, b) -> Double.compare(k[a], k[b]));
        double[] c = companion.clone();
        for (int i = 0; i < n; i++) {
            keys[i] = k[order[i]];
            companion[i] = c[order[i]];
        }
    }
}
