package dev.probe.diagnostics;

import java.util.Arrays;

/**
 * Convergence diagnostics of Markov chains as pure functions of {@code draws[chain][draw]}: the
 * rank-normalised split R-hat and the bulk and tail effective sample sizes of Vehtari, Gelman,
 * Simpson, Carpenter and Bürkner (Bayesian Analysis 16(2), 2021), computed as ArviZ and the R
 * package posterior compute them. Chains must have equal lengths ({@link #equalLengths} trims).
 *
 * <p>Internally the chains are pooled into one array, chain k at [k n, (k + 1) n), and one
 * ranking of it ({@link Ranks}: a sort, or counts where the draws take few values) serves
 * everything that needs an order: the ranks, the median, the tail quantiles and the ranks of the
 * folded draws. Every other step is a linear pass, except the autocovariances of a slowly mixing
 * chain, which come from one FFT per pair of chains.
 */
public final class Convergence {

    private Convergence() {
    }

    /**
     * Rank-normalised split R-hat: the larger of the R-hats of the rank-normalised split chains and
     * of their folded version |x - median| (which catches chains that differ in scale only). NaN
     * when there are fewer than 4 draws per chain or every draw is equal.
     */
    public static double rhat(double[][] draws) {
        double[] x = splitPooled(draws);
        int chains = 2 * draws.length;
        int n = x.length / chains;
        if (n < 2 || constant(x)) {
            return Double.NaN;
        }
        Ranks ranks = Ranks.of(x);
        return rhat(ranks, ranks.scores(), chains, n);
    }

    /**
     * R-hat, bulk ESS and tail ESS at once, sorting once: {rhat, bulk, tail}, each equal to the
     * bit to what {@link #rhat}, {@link #essBulk} and {@link #essTail} give.
     */
    public static double[] all(double[][] draws) {
        double[] x = splitPooled(draws);
        return all(x, 2 * draws.length, x.length / (2 * draws.length));
    }

    /**
     * {@link #all} of the chains laid end to end in {@code column}, chain c's {@code lengths[c]}
     * draws after chain c - 1's: trimmed to equal lengths as {@link #equalLengths} trims and split
     * as {@link #split} splits, in one copy out of the column (a read-only view of the posterior's
     * own). Null when a draw is NaN (a variable that some steps do not reach), the draws that
     * trimming and splitting drop included.
     */
    static double[] all(java.nio.DoubleBuffer column, int[] lengths) {
        int len = Integer.MAX_VALUE;
        for (int l : lengths) {
            len = Math.min(len, l);
        }
        int half = len / 2;
        double[] x = new double[2 * lengths.length * half];
        double[] dropped = new double[0];
        int end = 0;
        for (int c = 0; c < lengths.length; c++) {
            int start = end;
            end += lengths[c];
            column.get(end - len, x, 2 * c * half, half);
            column.get(end - half, x, (2 * c + 1) * half, half);
            // The trimmed start and the middle draw of an odd length are not in x, but must be numbers too.
            int cut = end - len - start + (len - 2 * half);
            if (cut > 0) {
                if (dropped.length < cut) {
                    dropped = new double[cut];
                }
                column.get(start, dropped, 0, end - len - start);
                if (len > 2 * half) {
                    dropped[cut - 1] = column.get(end - len + half);
                }
                if (!complete(dropped, cut)) {
                    return null;
                }
            }
        }
        if (!complete(x, x.length)) {
            return null;
        }
        return all(x, 2 * lengths.length, half);
    }

    /** Whether none of the first {@code length} values is NaN. */
    private static boolean complete(double[] x, int length) {
        for (int i = 0; i < length; i++) {
            double v = x[i];
            if (v != v) {
                return false;
            }
        }
        return true;
    }

    /** {@link #all} of {@code chains} pooled split chains of {@code n} draws. */
    private static double[] all(double[] x, int chains, int n) {
        if (constant(x)) {
            return new double[] {Double.NaN, x.length, x.length};
        }
        Ranks ranks = Ranks.of(x);
        double[] z = ranks.scores();
        // The bulk ESS (its transforms, mostly) goes to another core while this one does R-hat and the
        // tail ESS, for long chains; each figure is computed as alone, so the thread count changes none.
        if (x.length < FORK_MIN) {
            double rhat = n < 2 ? Double.NaN : rhat(ranks, z, chains, n);
            return new double[] {rhat, ess(z, chains, n), tailEss(x, ranks, chains, n)};
        }
        java.util.concurrent.ForkJoinTask<Double> bulk = java.util.concurrent.ForkJoinTask.adapt(() -> ess(z, chains, n)).fork();
        double rhat = n < 2 ? Double.NaN : rhat(ranks, z, chains, n);
        double tail = tailEss(x, ranks, chains, n);
        return new double[] {rhat, bulk.join(), tail};
    }

    /**
     * Pooled draws from which the bulk ESS goes to another core: below it the transforms take well
     * under a millisecond once compiled, less than starting the common pool's worker costs a fresh
     * process (its classes and thread), so a light model's default run keeps it on the calling thread.
     */
    static final int FORK_MIN = 1 << 17;

    /** Bulk ESS: the ESS of the mean of the rank-normalised split chains. */
    public static double essBulk(double[][] draws) {
        double[] x = splitPooled(draws);
        if (constant(x)) {
            return x.length;
        }
        return ess(Ranks.of(x).scores(), 2 * draws.length, x.length / (2 * draws.length));
    }

    /**
     * Tail ESS: the smaller of the ESSs of the indicators x &lt;= q(0.05) and x &lt;= q(0.95) over
     * the split chains (the reliability of the 5% and 95% quantiles).
     */
    public static double essTail(double[][] draws) {
        double[] x = splitPooled(draws);
        if (constant(x)) {
            return x.length;
        }
        return tailEss(x, Ranks.of(x), 2 * draws.length, x.length / (2 * draws.length));
    }

    /** ESS of the mean of the draws as given (no splitting, no rank normalisation). */
    public static double essMean(double[][] draws) {
        requireEqual(draws);
        double[] x = pool(draws);
        if (constant(x)) {
            return x.length;
        }
        return ess(x, draws.length, draws[0].length);
    }

    /** The classic potential scale reduction sqrt(var+ / W) of chains as given (Gelman et al., BDA3 11.4). */
    public static double basicRhat(double[][] chains) {
        requireEqual(chains);
        return basicRhat(pool(chains), chains.length, chains[0].length);
    }

    /**
     * Each chain cut into its first and second half, a middle draw dropped when the length is odd:
     * 2m chains of floor(n/2) draws.
     */
    public static double[][] split(double[][] draws) {
        requireEqual(draws);
        int half = draws[0].length / 2;
        double[][] out = new double[2 * draws.length][];
        for (int c = 0; c < draws.length; c++) {
            double[] x = draws[c];
            out[2 * c] = Arrays.copyOfRange(x, 0, half);
            out[2 * c + 1] = Arrays.copyOfRange(x, x.length - half, x.length);
        }
        return out;
    }

    /**
     * Rank normalisation: pooled ranks r (ties averaged) mapped to normal scores
     * Phi^-1((r - 3/8) / (S + 1/4)) (Blom's offset, as in the paper).
     */
    public static double[][] zScale(double[][] draws) {
        double[] x = pool(draws);
        double[] z = Ranks.of(x).scores();
        double[][] out = new double[draws.length][];
        int k = 0;
        for (int c = 0; c < draws.length; c++) {
            out[c] = Arrays.copyOfRange(z, k, k + draws[c].length);
            k += draws[c].length;
        }
        return out;
    }

    /**
     * Chains of unequal lengths trimmed to the shortest, keeping each chain's last draws (its
     * start is the part nearest the burn-in, the least trustworthy).
     */
    public static double[][] equalLengths(double[][] chains) {
        int n = Integer.MAX_VALUE;
        for (double[] c : chains) {
            n = Math.min(n, c.length);
        }
        double[][] out = new double[chains.length][];
        for (int c = 0; c < chains.length; c++) {
            out[c] = Arrays.copyOfRange(chains[c], chains[c].length - n, chains[c].length);
        }
        return out;
    }

    /** The split chains pooled: half-chain k (chain k / 2's first or second half) at [k half, (k + 1) half). */
    private static double[] splitPooled(double[][] draws) {
        requireEqual(draws);
        int len = draws[0].length;
        int half = len / 2;
        double[] out = new double[2 * draws.length * half];
        for (int c = 0; c < draws.length; c++) {
            System.arraycopy(draws[c], 0, out, 2 * c * half, half);
            System.arraycopy(draws[c], len - half, out, (2 * c + 1) * half, half);
        }
        return out;
    }

    /** The R-hat of pooled split chains given their ranks and normal scores: bulk and folded, the larger. */
    private static double rhat(Ranks ranks, double[] z, int chains, int n) {
        double[] zFolded = ranks.foldedScores(ranks.quantile(0.5));
        return Math.max(basicRhat(z, chains, n), basicRhat(zFolded, chains, n));
    }

    /** The tail ESS of pooled split chains given their ranks. */
    private static double tailEss(double[] x, Ranks ranks, int chains, int n) {
        double low = essOfIndicator(x, chains, n, ranks.quantile(0.05));
        double high = essOfIndicator(x, chains, n, ranks.quantile(0.95));
        return Math.min(low, high);
    }

    /**
     * The ESS of the indicator x &lt;= q. Its autocovariances come from the indicator packed 64
     * draws to a word: the products of a lag are a count of common bits.
     */
    private static double essOfIndicator(double[] x, int chains, int n, double q) {
        int stride = (n + 63) / 64 + 1;
        long[] bits = new long[chains * stride];
        int[] ones = new int[chains];
        int total = 0;
        for (int c = 0; c < chains; c++) {
            for (int i = 0; i < n; i++) {
                if (x[c * n + i] <= q) {
                    bits[c * stride + (i >>> 6)] |= 1L << i;
                    ones[c]++;
                }
            }
            total += ones[c];
        }
        if (total == 0 || total == x.length) {
            return x.length;
        }
        if (n < 4) {
            return Double.NaN;
        }
        return ess(new IndicatorAutocovariances(bits, stride, ones, n), chains, n);
    }

    /** The classic R-hat of {@code chains} pooled chains of {@code n} draws. */
    private static double basicRhat(double[] x, int chains, int n) {
        double[] means = new double[chains];
        double within = 0;
        for (int c = 0; c < chains; c++) {
            means[c] = mean(x, c * n, n);
            within += variance(x, c * n, n, means[c]);
        }
        within /= chains;
        double between = n * variance(means, 0, chains, mean(means, 0, chains));
        return Math.sqrt((between / within + n - 1) / n);
    }

    /**
     * The multi-chain ESS of the mean of {@code chains} pooled chains of {@code n} draws (Vehtari et
     * al. 2021, eq. 10-11): autocorrelations combined across chains through var+, summed over
     * Geyer's initial positive and monotone sequences.
     */
    static double ess(double[] x, int chains, int n) {
        if (n < 4) {
            return Double.NaN;
        }
        return ess(new Autocovariances(x, chains, n), chains, n);
    }

    /** Geyer's truncated sum over the autocovariances {@code acov} asks for, lag by lag. */
    private static double ess(Autocovariances acov, int chains, int n) {
        double[] means = acov.means;
        double meanVar = acov.meanAt(0) * n / (n - 1.0);
        double varPlus = meanVar * (n - 1.0) / n;
        if (chains > 1) {
            varPlus += variance(means, 0, chains, mean(means, 0, chains));
        }
        double[] rho = new double[n];
        double rhoEven = 1;
        rho[0] = rhoEven;
        double rhoOdd = 1 - (meanVar - acov.meanAt(1)) / varPlus;
        rho[1] = rhoOdd;
        int t = 1;
        while (t < n - 3 && rhoEven + rhoOdd > 0) {
            rhoEven = 1 - (meanVar - acov.meanAt(t + 1)) / varPlus;
            rhoOdd = 1 - (meanVar - acov.meanAt(t + 2)) / varPlus;
            if (rhoEven + rhoOdd >= 0) {
                rho[t + 1] = rhoEven;
                rho[t + 2] = rhoOdd;
            }
            t += 2;
        }
        int maxT = t - 2;
        if (rhoEven > 0) {
            // The last even lag improves the estimate in the antithetic case.
            rho[maxT + 1] = rhoEven;
        }
        for (t = 1; t <= maxT - 2; t += 2) {
            if (rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]) {
                rho[t + 1] = (rho[t - 1] + rho[t]) / 2;
                rho[t + 2] = rho[t + 1];
            }
        }
        double draws = (double) chains * n;
        double tau = -1;
        for (int i = 0; i <= maxT; i++) {
            tau += 2 * rho[i];
        }
        tau += rho[maxT + 1];
        tau = Math.max(tau, 1 / Math.log10(draws));
        return draws / tau;
    }

    /**
     * Biased autocovariances (divided by n) of each chain, averaged over chains, lag by lag as
     * Geyer's sequence asks for them. The first lags are summed directly, four lags per pass over
     * the draws; when more are asked for than the sums would cost next to a transform, every lag
     * comes at once from the FFT ({@link Fourier#summedAutocorrelation}), zero-padded first for
     * lags up to a quarter of the chain and, in the rare chain that needs more, for all of them.
     */
    private static class Autocovariances {
        /** Lags summed in one pass: independent sums the processor overlaps. */
        static final int BLOCK = 4;

        final int chains;
        final int n;
        final double[] means;
        /**
         * The chains end to end, uncentred: each product is of draws less their chain's mean, taken
         * as they are read (the same doubles a centred copy would hold, without its array: at a
         * million draws a fresh array costs more to touch than the subtractions).
         */
        private double[] values;
        private final double[] mean;
        /** Lags known; from the transform, every lag below {@code exact}. */
        int known;
        private int exact;
        private final int directLimit;

        Autocovariances(double[] x, int chains, int n) {
            this(chains, n, chainMeans(x, chains, n), directLags(chains, n));
            values = x;
        }

        Autocovariances(int chains, int n, double[] means, int directLimit) {
            this.chains = chains;
            this.n = n;
            this.means = means;
            this.directLimit = directLimit;
            mean = new double[n];
        }

        private static double[] chainMeans(double[] x, int chains, int n) {
            double[] means = new double[chains];
            for (int c = 0; c < chains; c++) {
                means[c] = mean(x, c * n, n);
            }
            return means;
        }

        final double meanAt(int lag) {
            while (known <= lag) {
                if (exact > 0) {
                    if (lag >= exact) {
                        transform(n);
                    }
                    return mean[lag];
                }
                if (known + BLOCK > directLimit || known == BLOCK && slowlyMixing()) {
                    // Padding to n + n/4 (rounded up to a power of two) keeps the lags below the
                    // padding free of wrap-around; a chain that needs more is transformed again.
                    transform(Math.min(n, known + Math.max(BLOCK, n / 4)));
                    continue;
                }
                double[] sums = new double[BLOCK];
                sumBlock(known, sums);
                for (int b = 0; b < BLOCK && known < n; b++) {
                    mean[known++] = sums[b] / chains;
                }
            }
            return mean[lag];
        }

        /**
         * Whether the first lags already say that Geyer's sum will run past the lags summed
         * directly, so that the transform should be made now rather than after them (the direct
         * sums would be spent twice). With the lag-3 autocorrelation rho, a chain whose
         * autocorrelations decay geometrically reaches the noise level of the estimates,
         * 1/sqrt(chains n), near lag 3 log(noise) / log(rho); if that is beyond the direct limit,
         * the transform is made now. Which lags come from which exact method changes the figures
         * only by rounding.
         */
        private boolean slowlyMixing() {
            double rho = mean[3] / mean[0];
            if (!(rho > 0 && rho < 1)) {
                return false;
            }
            double noise = 1 / Math.sqrt((double) chains * n);
            return 3 * Math.log(noise) / Math.log(rho) > directLimit;
        }

        /**
         * Adds, for lags k .. k + 3, each chain's sum of products over n (in chain order) into
         * {@code sums}; each lag's sum is added term by term in the order a single-lag loop takes.
         */
        void sumBlock(int k, double[] sums) {
            double[] x = values;
            for (int c = 0; c < chains; c++) {
                int o = c * n;
                double m = means[c];
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                int end = n - k - 3;
                int i = 0;
                for (; i < end; i++) {
                    double d = x[o + i] - m;
                    int j = o + i + k;
                    s0 += d * (x[j] - m);
                    s1 += d * (x[j + 1] - m);
                    s2 += d * (x[j + 2] - m);
                    s3 += d * (x[j + 3] - m);
                }
                // The longer lags run out of pairs first; the shorter ones finish alone, in order.
                for (; i < n - k; i++) {
                    double d = x[o + i] - m;
                    s0 += d * (x[o + i + k] - m);
                    if (i < n - k - 1) {
                        s1 += d * (x[o + i + k + 1] - m);
                    }
                    if (i < n - k - 2) {
                        s2 += d * (x[o + i + k + 2] - m);
                    }
                }
                sums[0] += s0 / n;
                sums[1] += s1 / n;
                sums[2] += s2 / n;
                sums[3] += s3 / n;
            }
        }

        /** The chains end to end for the transform, which subtracts {@link #offsets}' chain's from each. */
        double[] values() {
            return values;
        }

        /** What the transform subtracts from each chain's values: its mean. */
        double[] offsets() {
            return means;
        }

        /** Every lag below {@code exact} from one transform padded for lags up to {@code lags}. */
        private void transform(int lags) {
            int size = Math.max(2, Integer.highestOneBit(Math.max(1, n + lags - 1) * 2 - 1));
            double[] sums = Fourier.summedAutocorrelation(values(), offsets(), chains, n, size);
            exact = Math.min(n, size - n + 1);
            double scale = (double) size * n;
            // The lags already summed were used as they are: only the new ones are taken.
            for (int lag = known; lag < exact; lag++) {
                mean[lag] = sums[lag] / scale / chains;
            }
            known = exact;
        }
    }

    /**
     * The autocovariances of a 0/1 indicator held as bits (chain c's draw i at bit i of the words
     * from c * stride, each chain followed by a zero word). For a chain with mean p, the sum over i
     * of (I_i - p)(I_(i+k) - p) is C - p (A + B) + (n - k) p^2, where C counts the i with both
     * bits set (an AND and a population count per 64 draws), A the ones among the first n - k
     * draws and B among the last n - k: the same sum as term by term, up to rounding, for about a
     * sixtieth of the work.
     */
    private static final class IndicatorAutocovariances extends Autocovariances {
        private final long[] bits;
        private final int stride;
        /** Chain c's ones before word w, at c * stride + w. */
        private final int[] before;

        IndicatorAutocovariances(long[] bits, int stride, int[] ones, int n) {
            super(ones.length, n, indicatorMeans(ones, n), 16 * directLags(ones.length, n));
            this.bits = bits;
            this.stride = stride;
            before = new int[bits.length];
            for (int c = 0; c < chains; c++) {
                int count = 0;
                for (int w = 0; w < stride; w++) {
                    before[c * stride + w] = count;
                    count += Long.bitCount(bits[c * stride + w]);
                }
            }
        }

        /** The chains' means as a sum of 0/1 doubles over n gives them: exactly count / n. */
        private static double[] indicatorMeans(int[] ones, int n) {
            double[] means = new double[ones.length];
            for (int c = 0; c < ones.length; c++) {
                means[c] = ones[c] / (double) n;
            }
            return means;
        }

        @Override
        void sumBlock(int k, double[] sums) {
            for (int b = 0; b < BLOCK && k + b < n; b++) {
                int lag = k + b;
                for (int c = 0; c < chains; c++) {
                    double p = means[c];
                    double both = common(c, lag);
                    double first = onesBefore(c, n - lag);
                    double last = onesBefore(c, n) - onesBefore(c, lag);
                    sums[b] += (both - p * (first + last) + (n - lag) * p * p) / n;
                }
            }
        }

        /** The i with bits i and i + lag both set in chain c. */
        private int common(int c, int lag) {
            int base = c * stride;
            int skip = lag >>> 6;
            int shift = lag & 63;
            int words = stride - 1 - skip;
            int count = 0;
            for (int w = 0; w < words; w++) {
                long later = bits[base + w + skip] >>> shift;
                if (shift != 0) {
                    later |= bits[base + w + skip + 1] << (64 - shift);
                }
                count += Long.bitCount(bits[base + w] & later);
            }
            return count;
        }

        /** Chain c's ones among its first j draws. */
        private int onesBefore(int c, int j) {
            int w = c * stride + (j >>> 6);
            return before[w] + Long.bitCount(bits[w] & ((1L << j) - 1));
        }

        /** The indicators centred on their chains' means, made when a transform first needs them. */
        private double[] centred;

        @Override
        double[] values() {
            if (centred == null) {
                centred = new double[chains * n];
                for (int c = 0; c < chains; c++) {
                    for (int i = 0; i < n; i++) {
                        double bit = bits[c * stride + (i >>> 6)] >>> i & 1;
                        centred[c * n + i] = bit - means[c];
                    }
                }
            }
            return centred;
        }

        /** Nothing: {@link #values} are centred already (less 0.0, the same doubles). */
        @Override
        double[] offsets() {
            return new double[chains];
        }
    }

    /**
     * How many lags to sum directly before switching to the transform: lags while they cost under
     * FFT_COST / 10 of the transforms (about ((m + 1) / 2 + 1) transforms of n + n/4 points rounded
     * up to a power of two, at ten direct multiply-adds per point and level, as measured: 2-4 ns
     * against 0.2-0.3 ns with four lags a pass). Most Metropolis-Hastings chains need more lags than
     * that, and a lag summed before the transform is made is spent twice, so the switch comes at 40%
     * of a transform's cost rather than at the break-even point (measured: 15% less time on the
     * benchmark's chains). At least 16 lags, which independent draws rarely exceed.
     */
    static int directLags(int chains, int n) {
        int size = Integer.highestOneBit(Math.max(1, n + n / 4 - 1) * 2 - 1);
        double levels = Integer.numberOfTrailingZeros(Math.max(size, 2));
        double fft = FFT_COST * ((chains + 1) / 2 + 1) * size * levels;
        return (int) Math.max(16, fft / ((double) chains * n));
    }

    /** Direct multiply-adds per point and level of a transform at which the switch is made (break-even: 10). */
    private static final double FFT_COST = 4;

    /** Linear-interpolation quantile of sorted values (NumPy's and R's type 7 default). */
    static double quantileLinear(double[] sorted, double p) {
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    static double[] pool(double[][] draws) {
        double[] out = new double[total(draws)];
        int k = 0;
        for (double[] c : draws) {
            System.arraycopy(c, 0, out, k, c.length);
            k += c.length;
        }
        return out;
    }

    private static int total(double[][] draws) {
        int s = 0;
        for (double[] c : draws) {
            s += c.length;
        }
        return s;
    }

    /** Whether every value is equal (true for none). */
    private static boolean constant(double[] x) {
        double first = x.length > 0 ? x[0] : 0;
        for (double v : x) {
            if (v != first) {
                return false;
            }
        }
        return true;
    }

    private static void requireEqual(double[][] draws) {
        if (draws.length == 0) {
            throw new IllegalArgumentException("no chains");
        }
        for (double[] c : draws) {
            if (c.length != draws[0].length) {
                throw new IllegalArgumentException("chains have different lengths (" + c.length + " and "
                        + draws[0].length + "); trim them with equalLengths");
            }
        }
    }

    static double mean(double[] x) {
        return mean(x, 0, x.length);
    }

    private static double mean(double[] x, int from, int length) {
        double s = 0;
        for (int i = from; i < from + length; i++) {
            s += x[i];
        }
        return s / length;
    }

    /** Sample variance with divisor n - 1. */
    static double variance(double[] x, double mean) {
        return variance(x, 0, x.length, mean);
    }

    private static double variance(double[] x, int from, int length, double mean) {
        double s = 0;
        for (int i = from; i < from + length; i++) {
            s += (x[i] - mean) * (x[i] - mean);
        }
        return s / (length - 1);
    }
}
