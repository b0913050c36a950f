package dev.probe.diagnostics;

import java.util.Arrays;

import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Convergence diagnostics of Markov chains as pure functions of {@code draws[chain][draw]}: the
 * rank-normalised split R-hat and the bulk and tail effective sample sizes of Vehtari, Gelman,
 * Simpson, Carpenter and Bürkner (Bayesian Analysis 16(2), 2021), computed as ArviZ and the R
 * package posterior compute them. Chains must have equal lengths ({@link #equalLengths} trims).
 */
public final class Convergence {

    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    private Convergence() {
    }

    /**
     * Rank-normalised split R-hat: the larger of the R-hats of the rank-normalised split chains and
     * of their folded version |x - median| (which catches chains that differ in scale only). NaN
     * when there are fewer than 4 draws per chain or every draw is equal.
     */
    public static double rhat(double[][] draws) {
        double[][] split = split(draws);
        if (split[0].length < 2 || constant(split)) {
            return Double.NaN;
        }
        return Math.max(basicRhat(zScale(split)), basicRhat(zScale(folded(split))));
    }

    /** |x - median| over the pooled draws, chain by chain. */
    private static double[][] folded(double[][] split) {
        return folded(split, median(split));
    }

    private static double[][] folded(double[][] split, double median) {
        double[][] folded = new double[split.length][];
        for (int c = 0; c < split.length; c++) {
            folded[c] = new double[split[c].length];
            for (int i = 0; i < split[c].length; i++) {
                folded[c][i] = Math.abs(split[c][i] - median);
            }
        }
        return folded;
    }

    /**
     * R-hat, bulk ESS and tail ESS at once, splitting and rank-normalising once: {rhat, bulk, tail}.
     */
    public static double[] all(double[][] draws) {
        double[][] split = split(draws);
        if (constant(split)) {
            return new double[] {Double.NaN, total(split), total(split)};
        }
        // One sort of the pooled draws serves their ranks, the median and the tail quantiles.
        double[] pooled = pool(split);
        int[] order = Sorting.order(pooled);
        double[] sorted = new double[pooled.length];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = pooled[order[i]];
        }
        double[][] z = zScale(split, averageRanks(pooled, order));
        double rhat = split[0].length < 2 ? Double.NaN
                : Math.max(basicRhat(z), basicRhat(zScale(folded(split, quantileLinear(sorted, 0.5)))));
        return new double[] {rhat, ess(z), tailEss(split, sorted)};
    }

    /** Bulk ESS: the ESS of the mean of the rank-normalised split chains. */
    public static double essBulk(double[][] draws) {
        double[][] split = split(draws);
        if (constant(split)) {
            return total(split);
        }
        return ess(zScale(split));
    }

    /**
     * Tail ESS: the smaller of the ESSs of the indicators x &lt;= q(0.05) and x &lt;= q(0.95) over
     * the split chains (the reliability of the 5% and 95% quantiles).
     */
    public static double essTail(double[][] draws) {
        double[][] split = split(draws);
        if (constant(split)) {
            return total(split);
        }
        return tailEss(split);
    }

    private static double tailEss(double[][] split) {
        double[] pooled = pool(split);
        Arrays.sort(pooled);
        return tailEss(split, pooled);
    }

    /** The tail ESS given the pooled split draws sorted. */
    private static double tailEss(double[][] split, double[] pooled) {
        double low = essOfIndicator(split, quantileLinear(pooled, 0.05));
        double high = essOfIndicator(split, quantileLinear(pooled, 0.95));
        return Math.min(low, high);
    }

    /** ESS of the mean of the draws as given (no splitting, no rank normalisation). */
    public static double essMean(double[][] draws) {
        if (constant(draws)) {
            return total(draws);
        }
        return ess(draws);
    }

    /** The classic potential scale reduction sqrt(var+ / W) of chains as given (Gelman et al., BDA3 11.4). */
    public static double basicRhat(double[][] chains) {
        int m = chains.length;
        int n = chains[0].length;
        double[] means = new double[m];
        double within = 0;
        for (int c = 0; c < m; c++) {
            means[c] = mean(chains[c]);
            within += variance(chains[c], means[c]);
        }
        within /= m;
        double between = n * variance(means, mean(means));
        return Math.sqrt((between / within + n - 1) / n);
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
        return zScale(draws, averageRanks(pool(draws)));
    }

    /** The normal scores of the pooled {@code ranks}, chain by chain. */
    private static double[][] zScale(double[][] draws, double[] ranks) {
        int s = total(draws);
        double[] scores = scores(s);
        double[][] z = new double[draws.length][];
        int k = 0;
        for (int c = 0; c < draws.length; c++) {
            z[c] = new double[draws[c].length];
            for (int i = 0; i < z[c].length; i++) {
                double r = ranks[k++];
                int whole = (int) r;
                // A tie's average rank may end in .5: its score is computed; whole ranks share a table.
                z[c][i] = whole == r ? scores[whole - 1] : score(r, s);
            }
        }
        return z;
    }

    private static double score(double rank, int s) {
        return STANDARD_NORMAL.inverseCumulativeProbability((rank - 0.375) / (s + 0.25));
    }

    /** The normal scores of ranks 1..s, made once for every variable of a posterior (they share s). */
    private static double[] scores(int s) {
        double[] table = lastScores;
        if (table == null || table.length != s) {
            table = new double[s];
            for (int r = 1; r <= s; r++) {
                table[r - 1] = score(r, s);
            }
            lastScores = table;
        }
        return table;
    }

    /** The last table of {@link #scores}: an immutable array once published, so threads may share it. */
    private static volatile double[] lastScores;

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

    /**
     * The multi-chain ESS of the mean (Vehtari et al. 2021, eq. 10-11): autocorrelations combined
     * across chains through var+, summed over Geyer's initial positive and monotone sequences.
     */
    static double ess(double[][] chains) {
        int m = chains.length;
        int n = chains[0].length;
        if (n < 4) {
            return Double.NaN;
        }
        // Most chains need fewer than 160 lags (up to tau near 50): summing those directly costs less than the
        // transform, which is used only when more are needed.
        double first = essUpTo(chains, Math.min(n, SHORT_LAGS));
        return Double.isNaN(first) ? essUpTo(chains, n) : first;
    }

    /** Lags summed directly before the whole autocovariance is computed by FFT. */
    private static final int SHORT_LAGS = 160;

    /** The ESS from autocovariances up to lag {@code lags} - 1; NaN when Geyer's sequence needs more. */
    private static double essUpTo(double[][] chains, int lags) {
        int m = chains.length;
        int n = chains[0].length;
        double[] means = new double[m];
        for (int c = 0; c < m; c++) {
            means[c] = mean(chains[c]);
        }
        Autocovariances acov = new Autocovariances(chains, means, lags == n);
        double meanVar = acov.meanAt(0) * n / (n - 1.0);
        double varPlus = meanVar * (n - 1.0) / n;
        if (m > 1) {
            varPlus += variance(means, mean(means));
        }
        double[] rho = new double[n];
        double rhoEven = 1;
        rho[0] = rhoEven;
        double rhoOdd = 1 - (meanVar - acov.meanAt(1)) / varPlus;
        rho[1] = rhoOdd;
        int t = 1;
        while (t < n - 3 && rhoEven + rhoOdd > 0) {
            if (t + 2 >= lags) {
                return Double.NaN;
            }
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
        double draws = (double) m * n;
        double tau = -1;
        for (int i = 0; i <= maxT; i++) {
            tau += 2 * rho[i];
        }
        tau += rho[maxT + 1];
        tau = Math.max(tau, 1 / Math.log10(draws));
        return draws / tau;
    }

    private static double essOfIndicator(double[][] split, double q) {
        double[][] indicator = new double[split.length][];
        for (int c = 0; c < split.length; c++) {
            indicator[c] = new double[split[c].length];
            for (int i = 0; i < split[c].length; i++) {
                indicator[c][i] = split[c][i] <= q ? 1 : 0;
            }
        }
        return constant(indicator) ? total(indicator) : ess(indicator);
    }

    /**
     * Biased autocovariances (divided by n) of each chain, averaged over chains: all lags at once by
     * FFT, or each lag by a direct sum when first asked for (a well-mixed chain needs only a few).
     */
    private static final class Autocovariances {
        private final double[][] centred;
        private final double[][] byFft;
        private final double[] mean;
        private int known;

        Autocovariances(double[][] chains, double[] means, boolean fft) {
            int n = chains[0].length;
            centred = new double[chains.length][n];
            for (int c = 0; c < chains.length; c++) {
                for (int i = 0; i < n; i++) {
                    centred[c][i] = chains[c][i] - means[c];
                }
            }
            byFft = fft ? new double[chains.length][] : null;
            if (fft) {
                for (int c = 0; c < chains.length; c++) {
                    byFft[c] = Fourier.autocovariance(centred[c]);
                }
            }
            mean = new double[n];
        }

        double meanAt(int lag) {
            int n = centred[0].length;
            while (known <= lag) {
                double s = 0;
                for (int c = 0; c < centred.length; c++) {
                    if (byFft != null) {
                        s += byFft[c][known];
                    } else {
                        double[] d = centred[c];
                        double sum = 0;
                        for (int i = 0; i + known < n; i++) {
                            sum += d[i] * d[i + known];
                        }
                        s += sum / n;
                    }
                }
                mean[known++] = s / centred.length;
            }
            return mean[lag];
        }
    }

    /** Linear-interpolation quantile of sorted values (NumPy's and R's type 7 default). */
    static double quantileLinear(double[] sorted, double p) {
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Ranks 1..n of the values, ties given their average rank. */
    static double[] averageRanks(double[] values) {
        return averageRanks(values, Sorting.order(values));
    }

    /** The same, given the permutation that sorts the values ({@link Sorting#order}). */
    private static double[] averageRanks(double[] values, int[] order) {
        double[] ranks = new double[values.length];
        for (int i = 0; i < order.length;) {
            int j = i;
            while (j + 1 < order.length && Double.compare(values[order[j + 1]], values[order[i]]) == 0) {
                j++;
            }
            double rank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                ranks[order[k]] = rank;
            }
            i = j + 1;
        }
        return ranks;
    }

    private static double median(double[][] draws) {
        double[] pooled = pool(draws);
        Arrays.sort(pooled);
        return quantileLinear(pooled, 0.5);
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

    private static boolean constant(double[][] draws) {
        double first = draws[0].length > 0 ? draws[0][0] : 0;
        for (double[] c : draws) {
            for (double v : c) {
                if (v != first) {
                    return false;
                }
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
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s / x.length;
    }

    /** Sample variance with divisor n - 1. */
    static double variance(double[] x, double mean) {
        double s = 0;
        for (double v : x) {
            s += (v - mean) * (v - mean);
        }
        return s / (x.length - 1);
    }
}
