package dev.probe.diagnostics;

/** Sorting values with a companion, without boxing: a stable radix sort of an index permutation. */
final class Sorting {

    private Sorting() {
    }

    /** Bits sorted per pass: six passes cover a double, each with a count table that fits the L1 cache. */
    private static final int DIGIT = 11;

    /**
     * The indices of {@code keys} in ascending order of their keys (Double.compare's order, ties in
     * index order): a least-significant-digit radix sort of the keys' bits, 11 at a time, so O(n)
     * with no comparison and no boxing. Digits that every key shares (the low bits of integers,
     * the sign of positive draws) cost no pass.
     */
    static int[] order(double[] keys) {
        return sort(keys).order();
    }

    /**
     * The order that sorts some values and the values in that order.
     *
     * @param order the indices of the values in ascending order (Double.compare's, ties in index order)
     * @param values the values in that order, bit for bit
     */
    record Sorted(int[] order, double[] values) {
    }

    /** {@link #order}, with the sorted values themselves, which the sort has at hand. */
    static Sorted sort(double[] keys) {
        int n = keys.length;
        if (n == 0) {
            return new Sorted(new int[0], new double[0]);
        }
        long[] k = new long[n];
        long[] k2 = new long[n];
        int[] a = new int[n];
        int[] b = new int[n];
        long first = flip(Double.doubleToLongBits(keys[0]));
        long differ = 0;
        for (int i = 0; i < n; i++) {
            long key = flip(Double.doubleToLongBits(keys[i]));
            k[i] = key;
            differ |= key ^ first;
            a[i] = i;
        }
        int radix = 1 << DIGIT;
        int mask = radix - 1;
        int[] count = new int[radix + 1];
        for (int shift = 0; shift < 64; shift += DIGIT) {
            if ((differ >>> shift & mask) == 0) {
                continue;
            }
            java.util.Arrays.fill(count, 0);
            for (int i = 0; i < n; i++) {
                count[(int) (k[i] >>> shift & mask) + 1]++;
            }
            for (int d = 0; d < radix; d++) {
                count[d + 1] += count[d];
            }
            for (int i = 0; i < n; i++) {
                int p = count[(int) (k[i] >>> shift & mask)]++;
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
        double[] sorted = new double[n];
        for (int i = 0; i < n; i++) {
            sorted[i] = Double.longBitsToDouble(unflip(k[i]));
        }
        return new Sorted(a, sorted);
    }

    /** The inverse of {@link #flip}. */
    private static long unflip(long key) {
        return key ^ ((~key >> 63) | Long.MIN_VALUE);
    }

    /** Flips the sign bit of a positive double's bits, every bit of a negative's: unsigned order is then Double.compare's. */
    private static long flip(long bits) {
        return bits ^ ((bits >> 63) | Long.MIN_VALUE);
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
