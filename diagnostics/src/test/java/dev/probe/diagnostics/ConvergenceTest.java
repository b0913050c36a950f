package dev.probe.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.junit.jupiter.api.Test;

class ConvergenceTest {

    @Test
    void basicRhatMatchesHandComputation() {
        // Means 2 and 5, variances 1: W = 1, B = 3 * var(2, 5) = 13.5, R = sqrt((13.5 + 2) / 3).
        double r = Convergence.basicRhat(new double[][] {{1, 2, 3}, {4, 5, 6}});
        assertEquals(Math.sqrt(15.5 / 3), r, 1e-12);
    }

    @Test
    void splitDropsTheMiddleDrawOfOddChains() {
        double[][] s = Convergence.split(new double[][] {{1, 2, 3, 4, 5}});
        assertEquals(2, s.length);
        assertEquals(1, s[0][0]);
        assertEquals(2, s[0][1]);
        assertEquals(4, s[1][0]);
        assertEquals(5, s[1][1]);
    }

    @Test
    void rankNormalisationUsesBlomScoresAndAveragesTies() {
        double[][] z = Convergence.zScale(new double[][] {{3, 1}, {2, 2}});
        // Ranks 4, 1, 2.5, 2.5 of S = 4: Phi^-1((r - 3/8) / 4.25).
        double[] ranks = {4, 1, 2.5, 2.5};
        double[] got = {z[0][0], z[0][1], z[1][0], z[1][1]};
        for (int i = 0; i < 4; i++) {
            double expected = org.apache.commons.statistics.distribution.NormalDistribution.of(0, 1)
                    .inverseCumulativeProbability((ranks[i] - 0.375) / 4.25);
            assertEquals(expected, got[i], 1e-12);
        }
    }

    @Test
    void normalScoresEqualTheDistributionsInverseCdfToTheBit() {
        // Ranks.score calls the inverse erfc itself rather than through NormalDistribution.of(0, 1):
        // every whole and half rank of several draw counts (the default 10,000 among them), to the bit.
        var normal = org.apache.commons.statistics.distribution.NormalDistribution.of(0, 1);
        for (int s : new int[] {1, 2, 3, 4, 7, 100, 999, 4096, 10_000, 20_000, 65_537}) {
            for (int twice = 2; twice <= 2 * s; twice++) {
                double rank = twice / 2.0;
                double expected = normal.inverseCumulativeProbability((rank - 0.375) / (s + 0.25));
                double got = Ranks.score(rank, s);
                if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(got)) {
                    assertEquals(expected, got, 0, "rank " + rank + " of " + s);
                }
            }
        }
        // The constant is the distribution's own sd * sqrt(2): Phi^-1(p) = -sqrt(2) erfc^-1(2p) at p where erfc^-1 = 1.
        assertEquals(Double.doubleToRawLongBits(normal.inverseSurvivalProbability(org.apache.commons.numbers.gamma.Erfc.value(1) / 2)),
                Double.doubleToRawLongBits(Ranks.ROOT_TWO * org.apache.commons.numbers.gamma.InverseErfc.value(org.apache.commons.numbers.gamma.Erfc.value(1))));
    }

    @Test
    void fourierAutocovarianceMatchesDirectSums() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(3, 4);
        double[] x = new double[37];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextDouble() - 0.5;
        }
        double[] acov = Fourier.autocovariance(x);
        for (int lag = 0; lag < x.length; lag++) {
            double s = 0;
            for (int i = 0; i + lag < x.length; i++) {
                s += x[i] * x[i + lag];
            }
            assertEquals(s / x.length, acov[lag], 1e-12);
        }
    }

    @Test
    void wellMixedChainsPassAndIndependentDrawsHaveFullEss() {
        double[][] draws = ar1(4, 5000, 0.0, 0.0, 11);
        double rhat = Convergence.rhat(draws);
        // For independent chains R-hat - 1 is of order 1/S; 1.01 is far out.
        assertTrue(rhat < 1.005, "R-hat " + rhat);
        // The ESS of 20,000 independent draws: the autocorrelation sum's error is about
        // sqrt(2 (2M + 1) / S) relative for a window of M lags (M ~ 3 here): ~2.5%; 4 of those: 10%.
        assertEquals(20_000, Convergence.essBulk(draws), 2_000);
        assertEquals(20_000, Convergence.essTail(draws), 2_000);
    }

    @Test
    void essOfAnAutoregressiveChainMatchesTheory() {
        // AR(1) with phi = 0.5: tau = (1 + phi) / (1 - phi) = 3, so ESS = S / 3 = 6,667 of 20,000.
        // The window grows to ~15 lags: sqrt(2 * 31 / 20000) * tau... relative error ~6%; 4 sd: 24%, we ask 20%.
        double[][] draws = ar1(4, 5000, 0.5, 0.0, 12);
        double ess = Convergence.essMean(draws);
        assertEquals(20_000 / 3.0, ess, 20_000 / 3.0 * 0.2);
        assertEquals(20_000 / 3.0, Convergence.essBulk(draws), 20_000 / 3.0 * 0.2);
    }

    @Test
    void slowlyMixingChainsNeedTheWholeAutocovarianceAndGetIt() {
        // phi = 0.95: tau = 39, so Geyer's sum runs past the 64 lags summed directly and the FFT takes
        // over. ESS = 80,000 / 39 = 2,051; the window of ~150 lags gives a relative error near
        // sqrt(2 * 301 / 20000) ~ 17% per chain, ~9% over four: 30% is over 3 sd.
        double[][] draws = ar1(4, 20_000, 0.95, 0.0, 16);
        assertEquals(80_000 / 39.0, Convergence.essMean(draws), 80_000 / 39.0 * 0.3);
    }

    @Test
    void chainsStuckInSeparateModesAreFlagged() {
        // A bimodal posterior with modes at -3 and +3: two chains in each, never crossing.
        double[][] draws = ar1(4, 1000, 0.3, 0.0, 13);
        for (int c = 0; c < 4; c++) {
            for (int i = 0; i < draws[c].length; i++) {
                draws[c][i] += c < 2 ? -3 : 3;
            }
        }
        assertTrue(Convergence.rhat(draws) > 1.5, "R-hat " + Convergence.rhat(draws));
        assertTrue(Convergence.essBulk(draws) < 100, "bulk ESS " + Convergence.essBulk(draws));
    }

    @Test
    void chainsThatDifferOnlyInScaleAreCaughtByTheFoldedRhat() {
        double[][] draws = ar1(4, 2000, 0.0, 0.0, 14);
        for (int i = 0; i < draws[0].length; i++) {
            draws[0][i] *= 4;
            draws[1][i] *= 4;
        }
        double bulk = Convergence.basicRhat(Convergence.zScale(Convergence.split(draws)));
        assertTrue(bulk < 1.01, "the bulk R-hat alone misses it: " + bulk);
        assertTrue(Convergence.rhat(draws) > 1.05, "R-hat " + Convergence.rhat(draws));
    }

    @Test
    void allAtOnceAgreesWithEachFigure() {
        double[][] draws = ar1(3, 501, 0.6, 0.0, 15);
        double[] all = Convergence.all(draws);
        assertEquals(Convergence.rhat(draws), all[0], 0.0);
        assertEquals(Convergence.essBulk(draws), all[1], 0.0);
        assertEquals(Convergence.essTail(draws), all[2], 0.0);
    }

    /** Long chains send the bulk ESS to another core: the same figures, to the bit, as each alone on this thread. */
    @Test
    void allAtOnceAgreesWithEachFigureWhenTheBulkEssIsForked() {
        int perChain = Convergence.FORK_MIN / 4 + 2;
        double[][] draws = ar1(4, perChain, 0.6, 0.0, 16);
        double[] all = Convergence.all(draws);
        assertEquals(Convergence.rhat(draws), all[0], 0.0);
        assertEquals(Convergence.essBulk(draws), all[1], 0.0);
        assertEquals(Convergence.essTail(draws), all[2], 0.0);
    }

    /**
     * The posterior's column, read through its view: trimmed and split in one copy, the figures of the trimmed chains;
     * a NaN anywhere (a variable that some steps do not reach), in the draws that trimming or splitting drop too, gives
     * none.
     */
    @Test
    void aColumnOfChainsEndToEndGivesTheTrimmedChainsFiguresAndNoneWithANaN() {
        // Lengths 13, 14, 15: trimmed to 13 (the first draw of the second chain, the first two of the third dropped), and
        // 13 is odd (each chain's middle draw dropped by the split).
        double[][] chains = {ar1(1, 13, 0.5, 0.0, 31)[0], ar1(1, 14, 0.5, 0.0, 32)[0], ar1(1, 15, 0.5, 0.0, 33)[0]};
        int[] lengths = {13, 14, 15};
        double[] column = Convergence.pool(chains);
        double[] expected = Convergence.all(Convergence.equalLengths(chains));
        double[] got = Convergence.all(java.nio.DoubleBuffer.wrap(column).asReadOnlyBuffer(), lengths);
        for (int k = 0; k < 3; k++) {
            assertEquals(expected[k], got[k], 0.0);
        }
        // A NaN at the second chain's trimmed draw, the third's second trimmed draw, the first and second chains' dropped
        // middle draws, a kept draw of the second chain.
        for (int at : new int[] {13, 28, 6, 20, 22}) {
            double[] holed = column.clone();
            holed[at] = Double.NaN;
            assertEquals(null, Convergence.all(java.nio.DoubleBuffer.wrap(holed).asReadOnlyBuffer(), lengths), "NaN at " + at);
        }
    }

    @Test
    void ranksOfTiesAndFoldedDrawsMatchASortByDefinition() {
        // Rounded draws tie often (as Metropolis-Hastings repeats rejected states); the folded draws |x - median|
        // tie across the median too. The one-sort path must give the ranks a plain sort of each gives.
        for (int round : new int[] {0, 1, 8}) {
            double[][] draws = ar1(3, 400, 0.7, 0.0, 20 + round);
            if (round > 0) {
                for (double[] chain : draws) {
                    for (int i = 0; i < chain.length; i++) {
                        chain[i] = Math.floor(chain[i] * round) / round;
                    }
                }
            }
            double[][] split = Convergence.split(draws);
            double[] pooled = Convergence.pool(split);
            double[] sorted = pooled.clone();
            java.util.Arrays.sort(sorted);
            double median = Convergence.quantileLinear(sorted, 0.5);
            double[][] folded = new double[split.length][];
            for (int c = 0; c < split.length; c++) {
                folded[c] = new double[split[c].length];
                for (int i = 0; i < folded[c].length; i++) {
                    folded[c][i] = Math.abs(split[c][i] - median);
                }
            }
            double expected = Math.max(Convergence.basicRhat(referenceZ(split)), Convergence.basicRhat(referenceZ(folded)));
            assertEquals(expected, Convergence.rhat(draws), 0.0, "rounded to 1/" + round);
        }
    }

    @Test
    void scoresOfRepeatedContinuousDrawsAreTheDefinitionsToTheBit() {
        // Continuous draws that a Metropolis-Hastings chain repeats often (most draws tied, many ranks averaged to
        // halves) or rarely, against the definition's scores of a plain sort, to the bit; folded draws too.
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(50, 51);
        for (double stay : new double[] {0.0, 0.1, 0.6, 0.95}) {
            for (int length : new int[] {300, 4001}) {
                double[] x = new double[length];
                double v = rng.nextDouble();
                for (int i = 0; i < length; i++) {
                    if (rng.nextDouble() >= stay) {
                        v = ZigguratSampler.NormalizedGaussian.of(rng).sample();
                    }
                    x[i] = v;
                }
                String what = "repeated with probability " + stay + ", " + length + " draws";
                // The sort's path, whatever the number of distinct values (few are counted by Ranks.of).
                Ranks ranks = Ranks.sorted(x);
                double[] z = ranks.scores();
                double[] zExpected = referenceZ(new double[][] {x})[0];
                double median = ranks.quantile(0.5);
                double[] folded = new double[length];
                for (int i = 0; i < length; i++) {
                    folded[i] = Math.abs(x[i] - median);
                }
                double[] zFolded = ranks.foldedScores(median);
                double[] zFoldedExpected = referenceZ(new double[][] {folded})[0];
                for (int i = 0; i < length; i++) {
                    assertEquals(Double.doubleToRawLongBits(zExpected[i]), Double.doubleToRawLongBits(z[i]), what + ", draw " + i);
                    assertEquals(Double.doubleToRawLongBits(zFoldedExpected[i]), Double.doubleToRawLongBits(zFolded[i]),
                            what + ", folded draw " + i);
                }
            }
        }
    }

    @Test
    void countedRanksAreTheSortsToTheBit() {
        // Draws with few distinct values (a discrete variable's states) are ranked by counting them: every
        // figure must be the one the sort gives, ties across the median, -0.0 and 0.0 (apart, as in
        // Double.compare) and 64 values (the most counted) included.
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(40, 41);
        // A median that is not finite too (most draws +infinity: infinity - infinity is NaN, so the sort's folded
        // draws are sorted apart rather than merged).
        double inf = Double.POSITIVE_INFINITY;
        for (double[] states : new double[][] {{2}, {0, 1}, {0, 1, 2}, {-1.5, -0.0, 0.0, 1.5, 3}, range(Ranks.MAX_COUNTED),
                {1, 2, inf, inf, inf, inf, inf}}) {
            for (int length : new int[] {8, 501, 4000}) {
                double[] x = new double[length];
                int state = 0;
                for (int i = 0; i < length; i++) {
                    // Runs of repeated values, as Metropolis-Hastings leaves them.
                    if (rng.nextDouble() < 0.3) {
                        state = rng.nextInt(states.length);
                    }
                    x[i] = states[state];
                }
                Ranks counted = Ranks.of(x);
                Ranks sorted = Ranks.sorted(x);
                String what = states.length + " values, " + length + " draws";
                org.junit.jupiter.api.Assertions.assertNotEquals(sorted.getClass(), counted.getClass(), what);
                org.junit.jupiter.api.Assertions.assertArrayEquals(sorted.scores(), counted.scores(), what);
                for (double p : new double[] {0, 0.05, 0.3, 0.5, 0.95, 1}) {
                    assertEquals(sorted.quantile(p), counted.quantile(p), 0.0, what + ", p " + p);
                }
                double median = sorted.quantile(0.5);
                org.junit.jupiter.api.Assertions.assertArrayEquals(sorted.foldedScores(median), counted.foldedScores(median), what);
                if (states[states.length - 1] == inf && length > 8) {
                    // Infinity, or NaN where the interpolation meets infinity - infinity: not finite either way.
                    assertTrue(!Double.isFinite(median), what + ": median " + median);
                }
            }
        }
        // One value more and the draws are sorted.
        assertEquals(Ranks.sorted(new double[1]).getClass(), Ranks.of(range(Ranks.MAX_COUNTED + 1)).getClass());
    }

    private static double[] range(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i * 0.25 - 3;
        }
        return x;
    }

    @Test
    void essMatchesTheDefinitionSummedLagByLag() {
        // Short and long autocorrelations (direct sums, then the transform, then the unpadded transform), and the
        // tail indicators counted by bits: each against Geyer's sum over direct autocovariances of every lag.
        for (double phi : new double[] {0.0, 0.6, 0.97, 0.995}) {
            double[][] draws = ar1(4, 1500, phi, 0.0, 30);
            assertEquals(referenceEss(draws), Convergence.essMean(draws), 1e-9 * referenceEss(draws), "phi " + phi);
            double[][] split = Convergence.split(draws);
            double[] sorted = Convergence.pool(split);
            java.util.Arrays.sort(sorted);
            double tail = Double.POSITIVE_INFINITY;
            for (double p : new double[] {0.05, 0.95}) {
                double q = Convergence.quantileLinear(sorted, p);
                double[][] indicator = new double[split.length][];
                for (int c = 0; c < split.length; c++) {
                    indicator[c] = new double[split[c].length];
                    for (int i = 0; i < split[c].length; i++) {
                        indicator[c][i] = split[c][i] <= q ? 1 : 0;
                    }
                }
                tail = Math.min(tail, referenceEss(indicator));
            }
            assertEquals(tail, Convergence.essTail(draws), 1e-9 * tail, "tail, phi " + phi);
        }
    }

    /** Pooled ranks by a plain sort (ties averaged) and their Blom normal scores, chain by chain. */
    private static double[][] referenceZ(double[][] chains) {
        double[] pooled = Convergence.pool(chains);
        double[] sorted = pooled.clone();
        java.util.Arrays.sort(sorted);
        double[][] z = new double[chains.length][];
        for (int c = 0; c < chains.length; c++) {
            z[c] = new double[chains[c].length];
            for (int i = 0; i < z[c].length; i++) {
                int lo = java.util.Arrays.binarySearch(sorted, chains[c][i]);
                int hi = lo;
                while (lo > 0 && sorted[lo - 1] == chains[c][i]) {
                    lo--;
                }
                while (hi + 1 < sorted.length && sorted[hi + 1] == chains[c][i]) {
                    hi++;
                }
                double rank = (lo + hi) / 2.0 + 1;
                z[c][i] = org.apache.commons.statistics.distribution.NormalDistribution.of(0, 1)
                        .inverseCumulativeProbability((rank - 0.375) / (pooled.length + 0.25));
            }
        }
        return z;
    }

    /** Vehtari et al. (2021) eq. 10-11 with every autocovariance summed directly. */
    private static double referenceEss(double[][] chains) {
        int m = chains.length;
        int n = chains[0].length;
        double[] means = new double[m];
        double[] acov = new double[n];
        for (int c = 0; c < m; c++) {
            means[c] = Convergence.mean(chains[c]);
            for (int lag = 0; lag < n; lag++) {
                double s = 0;
                for (int i = 0; i + lag < n; i++) {
                    s += (chains[c][i] - means[c]) * (chains[c][i + lag] - means[c]);
                }
                acov[lag] += s / n / m;
            }
        }
        double meanVar = acov[0] * n / (n - 1.0);
        double varPlus = meanVar * (n - 1.0) / n + Convergence.variance(means, Convergence.mean(means));
        double[] rho = new double[n];
        rho[0] = 1;
        double even = 1;
        double odd = 1 - (meanVar - acov[1]) / varPlus;
        rho[1] = odd;
        int t = 1;
        while (t < n - 3 && even + odd > 0) {
            even = 1 - (meanVar - acov[t + 1]) / varPlus;
            odd = 1 - (meanVar - acov[t + 2]) / varPlus;
            if (even + odd >= 0) {
                rho[t + 1] = even;
                rho[t + 2] = odd;
            }
            t += 2;
        }
        int maxT = t - 2;
        if (even > 0) {
            rho[maxT + 1] = even;
        }
        for (t = 1; t <= maxT - 2; t += 2) {
            if (rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]) {
                rho[t + 1] = (rho[t - 1] + rho[t]) / 2;
                rho[t + 2] = rho[t + 1];
            }
        }
        double tau = -1;
        for (int i = 0; i <= maxT; i++) {
            tau += 2 * rho[i];
        }
        tau = Math.max(tau + rho[maxT + 1], 1 / Math.log10((double) m * n));
        return m * n / tau;
    }

    @Test
    void unequalChainsKeepTheirLastDraws() {
        double[][] t = Convergence.equalLengths(new double[][] {{1, 2, 3}, {4, 5}});
        assertEquals(2, t[0].length);
        assertEquals(2, t[0][0]);
        assertEquals(4, t[1][0]);
    }

    static double[][] ar1(int chains, int n, double phi, double shift, long seed) {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(seed, 1);
        ZigguratSampler.NormalizedGaussian normal = ZigguratSampler.NormalizedGaussian.of(rng);
        double[][] x = new double[chains][n];
        double sd = Math.sqrt(1 - phi * phi);
        for (int c = 0; c < chains; c++) {
            double v = normal.sample();
            for (int i = 0; i < n; i++) {
                v = phi * v + sd * normal.sample();
                x[c][i] = v + shift;
            }
        }
        return x;
    }
}
