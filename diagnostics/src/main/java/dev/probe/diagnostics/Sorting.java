package dev.probe.diagnostics;

/** Sorting values with a companion, without boxing: a stable radix sort of an index permutation. */
final class Sorting {

    private Sorting() {
    }

    /**
     * Bits sorted per pass: six passes cover a double, each with a count table that fits the L1
     * cache (the six are counted in one pass over the keys, written out for DIGIT = 11).
     */
    private static final int DIGIT = 11;
    /** Passes that cover a double's 64 bits. */
    private static final int PASSES = (64 + DIGIT - 1) / DIGIT;

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
        int radix = 1 << DIGIT;
        int mask = radix - 1;
        int stride = radix + 1;
        // Every pass's digit counts, made in the one pass that makes the keys: digit d's at d stride + 1.
        int[] counts = new int[PASSES * stride];
        // The loops over the draws call no method: a single call's loops run partly in the interpreter
        // (until the JIT's on-stack replacement), where each call per draw costs more than its arithmetic.
        for (int i = 0; i < n; i++) {
            double v = keys[i];
            // Double.doubleToLongBits (every NaN as the canonical one), then flip.
            long bits = v != v ? 0x7ff8000000000000L : Double.doubleToRawLongBits(v);
            long key = bits ^ ((bits >> 63) | Long.MIN_VALUE);
            k[i] = key;
            differ |= key ^ first;
            a[i] = i;
            counts[(int) (key & mask) + 1]++;
            counts[stride + (int) (key >>> DIGIT & mask) + 1]++;
            counts[2 * stride + (int) (key >>> 2 * DIGIT & mask) + 1]++;
            counts[3 * stride + (int) (key >>> 3 * DIGIT & mask) + 1]++;
            counts[4 * stride + (int) (key >>> 4 * DIGIT & mask) + 1]++;
            counts[5 * stride + (int) (key >>> 5 * DIGIT) + 1]++;
        }
        for (int pass = 0; pass < PASSES; pass++) {
            int shift = pass * DIGIT;
            if ((differ >>> shift & mask) == 0) {
                continue;
            }
            int o = pass * stride;
            for (int d = 0; d < radix; d++) {
                counts[o + d + 1] += counts[o + d];
            }
            for (int i = 0; i < n; i++) {
                long key = k[i];
                int p = counts[o + (int) (key >>> shift & mask)]++;
                k2[p] = key;
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
            long key = k[i];
            // The inverse of flip.
            sorted[i] = Double.longBitsToDouble(key ^ ((~key >> 63) | Long.MIN_VALUE));
        }
        return new Sorted(a, sorted);
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
