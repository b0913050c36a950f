package dev.probe.diagnostics;

import org.apache.commons.numbers.gamma.InverseErfc;

/**
 * The pooled ranks of draws, as much of them as the convergence figures need: each draw's normal
 * score (ties averaged), linear-interpolation quantiles, and the normal scores of the folded draws
 * |x - median|. Two ways lead to the same figures, to the bit: one radix sort of the draws, or, for
 * draws that take a few distinct values (a discrete variable's states), a count of each value, which
 * gives every tie's rank without ordering the draws at all.
 */
abstract class Ranks {

    /** The most distinct values ranked by counting; draws with more are sorted. */
    static final int MAX_COUNTED = 64;

    /**
     * sqrt(2) rounded to a double: what commons-statistics' {@code NormalDistribution.of(0, 1)} holds
     * as its standard deviation times sqrt(2) (tested).
     */
    static final double ROOT_TWO = 1.4142135623730951;

    /** The ranks of {@code x} (not copied; it must not change while they are in use). */
    static Ranks of(double[] x) {
        Ranks counted = Counted.of(x);
        return counted != null ? counted : new Sorted(x);
    }

    /** The ranks of {@code x} by a sort, whatever its distinct values (for tests: the reference path). */
    static Ranks sorted(double[] x) {
        return new Sorted(x);
    }

    /** Each draw's normal score Phi^-1((r - 3/8) / (S + 1/4)) of its pooled rank r, ties averaged. */
    abstract double[] scores();

    /** The linear-interpolation quantile at p (NumPy's and R's type 7 default). */
    abstract double quantile(double p);

    /** The normal scores of the folded draws |x - median|, ranked as {@link #scores} ranks the draws. */
    abstract double[] foldedScores(double median);

    /**
     * Phi^-1((rank - 3/8) / (s + 1/4)), computed as commons-statistics' standard normal computes its
     * inverse CDF, mean - sd sqrt(2) erfc^-1(2 p) with mean 0 (equal to it to the bit, tested), without
     * the distribution object: a fresh process then loads and initialises ten classes fewer (the
     * distribution's hierarchy and its extended-precision arithmetic) for the one function it needs.
     */
    static double score(double rank, int s) {
        double p = (rank - 0.375) / (s + 0.25);
        return 0.0 - ROOT_TWO * InverseErfc.value(2 * p);
    }

    /** The score of the tie that fills sorted positions first .. last (0-based): its ranks' average. */
    private static double tieScore(int first, int last, int s, double[] table) {
        double rank = (first + last) / 2.0 + 1;
        int whole = (int) rank;
        // A tie's average rank may end in .5: its score is computed once for the tie.
        return table != null && whole == rank ? table[whole - 1] : score(rank, s);
    }

    /**
     * Ranks by one radix sort of the draws; the folded draws' order is merged from it. Ties are
     * found, and the folded draws merged, along the sorted values (a sequential pass) rather than
     * through the order (a gather per draw).
     */
    private static final class Sorted extends Ranks {
        private final int[] order;
        /** The draws in ascending order. */
        private final double[] sorted;

        Sorted(double[] x) {
            Sorting.Sorted s = Sorting.sort(x);
            this.order = s.order();
            this.sorted = s.values();
        }

        @Override
        double[] scores() {
            return normalScores(sorted, order);
        }

        @Override
        double quantile(double p) {
            double h = (sorted.length - 1) * p;
            int lo = (int) Math.floor(h);
            int hi = Math.min(lo + 1, sorted.length - 1);
            return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
        }

        @Override
        double[] foldedScores(double median) {
            int s = sorted.length;
            if (!Double.isFinite(median)) {
                // infinity - infinity is NaN: the runs are no longer monotone, so the folded draws are sorted.
                double[] folded = new double[s];
                for (int k = 0; k < s; k++) {
                    folded[order[k]] = Math.abs(sorted[k] - median);
                }
                Sorting.Sorted f = Sorting.sort(folded);
                return normalScores(f.values(), f.order());
            }
            // Below the median |x - median| grows as x falls, from it on as x rises (rounding is monotone),
            // so the two runs of the sorted draws merge in one pass instead of a second sort. Ties fall
            // together as in a sort, which is all the ranks need.
            int lo = 0;
            int hi = s;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (Double.compare(sorted[mid], median) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            int up = lo;
            int down = lo - 1;
            int[] foldedOrder = new int[s];
            double[] foldedSorted = new double[s];
            for (int k = 0; k < s; k++) {
                double below = down >= 0 ? Math.abs(sorted[down] - median) : Double.NaN;
                double above = up < s ? Math.abs(sorted[up] - median) : Double.NaN;
                // Double.compare(below, above) <= 0 for two absolute values (no -0.0), without a call per draw.
                if (down >= 0 && (up >= s || below <= above || above != above)) {
                    foldedOrder[k] = order[down--];
                    foldedSorted[k] = below;
                } else {
                    foldedOrder[k] = order[up++];
                    foldedSorted[k] = above;
                }
            }
            return normalScores(foldedSorted, foldedOrder);
        }

        /**
         * The normal scores of the values' pooled ranks (ties averaged), given the values in
         * ascending order and the order that sorts them: one score per run of equal values, whole
         * ranks from a table shared by every variable.
         */
        private static double[] normalScores(double[] sorted, int[] order) {
            int s = sorted.length;
            double[] table = table(s);
            double[] z = new double[s];
            for (int i = 0; i < s;) {
                double v = sorted[i];
                if (i + 1 == s || v == v && sorted[i + 1] != v) {
                    // No tie (for NaN, 0.0 and -0.0 the scan below decides): the whole rank's score, as tieScore gives it.
                    z[order[i]] = table[i];
                    i++;
                    continue;
                }
                int j = i;
                // Double.compare(sorted[j + 1], v) == 0 written out: no call per draw (a process's first call
                // runs this scan partly in the interpreter); the bits decide only between 0.0 and -0.0.
                while (j + 1 < s) {
                    double w = sorted[j + 1];
                    if (w == v ? v != 0 || Double.doubleToRawLongBits(w) == Double.doubleToRawLongBits(v) : w != w && v != v) {
                        j++;
                    } else {
                        break;
                    }
                }
                double score = tieScore(i, j, s, table);
                for (int k = i; k <= j; k++) {
                    z[order[k]] = score;
                }
                i = j + 1;
            }
            return z;
        }

        /** The normal scores of ranks 1..s, made once for every variable of a posterior (they share s). */
        private static double[] table(int s) {
            double[] table = lastTable;
            if (table == null || table.length != s) {
                table = new double[s];
                for (int r = 1; r <= s; r++) {
                    table[r - 1] = score(r, s);
                }
                lastTable = table;
            }
            return table;
        }

        /** The last table of {@link #table}: an immutable array once published, so threads may share it. */
        private static volatile double[] lastTable;
    }

    /**
     * Ranks by counting the draws' distinct values: a tie of c draws whose values fall after f
     * smaller ones holds sorted positions f .. f + c - 1, so one pass that tells each draw its
     * value's number and a sort of the few values give every rank, quantile and folded rank.
     * Equality is Double.compare's, as in the sort.
     */
    private static final class Counted extends Ranks {
        private final int s;
        /** The distinct values in the order first met, and how many draws hold each. */
        private final double[] values;
        private final int[] counts;
        /** Each draw's value, as its number in {@link #values}. */
        private final byte[] index;
        /** The value numbers in ascending order of their values. */
        private final int[] ascending;

        private Counted(double[] values, int[] counts, byte[] index) {
            this.s = index.length;
            this.values = values;
            this.counts = counts;
            this.index = index;
            this.ascending = ascending(values);
        }

        /** The counts of x's values, or null when it has more than {@link #MAX_COUNTED}. */
        static Counted of(double[] x) {
            // Open addressing on the values' bits, at most half full; a draw equal to the last one
            // (a rejected Metropolis-Hastings step, a state that stays) skips the look-up.
            int size = 2 * MAX_COUNTED;
            long[] keys = new long[size];
            int[] slots = new int[size];
            double[] values = new double[MAX_COUNTED];
            int[] counts = new int[MAX_COUNTED];
            byte[] index = new byte[x.length];
            int distinct = 0;
            long lastBits = 0;
            int last = -1;
            int hashShift = 64 - Integer.numberOfTrailingZeros(size);
            for (int i = 0; i < x.length; i++) {
                double v = x[i];
                // Double.doubleToLongBits written out (no call per draw: a first call runs partly interpreted).
                long bits = v != v ? 0x7ff8000000000000L : Double.doubleToRawLongBits(v);
                if (last < 0 || bits != lastBits) {
                    int h = (int) ((bits * 0x9E3779B97F4A7C15L) >>> hashShift);
                    while (slots[h] != 0 && keys[h] != bits) {
                        h = (h + 1) & (size - 1);
                    }
                    if (slots[h] == 0) {
                        if (distinct == MAX_COUNTED) {
                            return null;
                        }
                        keys[h] = bits;
                        values[distinct] = x[i];
                        slots[h] = ++distinct;
                    }
                    last = slots[h] - 1;
                    lastBits = bits;
                }
                index[i] = (byte) last;
                counts[last]++;
            }
            return new Counted(java.util.Arrays.copyOf(values, distinct), java.util.Arrays.copyOf(counts, distinct), index);
        }

        /** The numbers 0 .. k-1 ordered by Double.compare of their values (an insertion sort: k is small). */
        private static int[] ascending(double[] values) {
            int[] out = new int[values.length];
            for (int i = 0; i < out.length; i++) {
                int j = i;
                while (j > 0 && Double.compare(values[out[j - 1]], values[i]) > 0) {
                    out[j] = out[j - 1];
                    j--;
                }
                out[j] = i;
            }
            return out;
        }

        @Override
        double[] scores() {
            return spread(tieScores(values, counts));
        }

        /** Each numbered value's score, ranked among the draws by the counts. */
        private double[] tieScores(double[] v, int[] c) {
            double[] score = new double[v.length];
            int first = 0;
            for (int k : ascending(v)) {
                score[k] = tieScore(first, first + c[k] - 1, s, null);
                first += c[k];
            }
            return score;
        }

        /** Each draw's figure, from its value's. */
        private double[] spread(double[] byValue) {
            double[] out = new double[s];
            for (int i = 0; i < s; i++) {
                out[i] = byValue[index[i]];
            }
            return out;
        }

        @Override
        double quantile(double p) {
            double h = (s - 1) * p;
            int lo = (int) Math.floor(h);
            int hi = Math.min(lo + 1, s - 1);
            double low = at(lo);
            return low + (h - lo) * (at(hi) - low);
        }

        /** The value at sorted position {@code position}. */
        private double at(int position) {
            int end = 0;
            for (int k : ascending) {
                end += counts[k];
                if (position < end) {
                    return values[k];
                }
            }
            throw new IllegalArgumentException("position " + position + " of " + s);
        }

        @Override
        double[] foldedScores(double median) {
            // Values on either side of the median may fold onto one: they become one tie.
            int k = values.length;
            double[] folded = new double[k];
            int[] foldedIndex = new int[k];
            double[] distinct = new double[k];
            int[] foldedCounts = new int[k];
            int m = 0;
            for (int v = 0; v < k; v++) {
                folded[v] = Math.abs(values[v] - median);
                int f = 0;
                while (f < m && Double.compare(distinct[f], folded[v]) != 0) {
                    f++;
                }
                if (f == m) {
                    distinct[m++] = folded[v];
                }
                foldedIndex[v] = f;
                foldedCounts[f] += counts[v];
            }
            double[] byFolded = tieScores(java.util.Arrays.copyOf(distinct, m), java.util.Arrays.copyOf(foldedCounts, m));
            double[] byValue = new double[k];
            for (int v = 0; v < k; v++) {
                byValue[v] = byFolded[foldedIndex[v]];
            }
            return spread(byValue);
        }
    }
}
