package dev.probe.diagnostics;

import java.util.Arrays;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.statistics.distribution.ChiSquaredDistribution;

/**
 * Simulation-based calibration statistics (Talts, Betancourt, Simpson, Vehtari and Gelman 2018):
 * the rank of a true parameter among L posterior draws is uniform on 0..L when inference is
 * calibrated; ranks pooled into B equal bins are tested for uniformity by Pearson's chi-square.
 */
public final class Sbc {

    private Sbc() {
    }

    /**
     * The number of draws below {@code truth}; among draws equal to it (discrete variables) the
     * truth takes a uniformly random place (0..ties of them below it), ties broken at random as
     * Talts et al. advise, so that ranks stay uniform for discrete parameters.
     */
    public static int rank(double truth, double[] draws, UniformRandomProvider rng) {
        int below = 0;
        int ties = 0;
        for (double d : draws) {
            if (d < truth) {
                below++;
            } else if (d == truth) {
                ties++;
            }
        }
        return ties == 0 ? below : below + rng.nextInt(ties + 1);
    }

    /**
     * Pearson's chi-square test that ranks in 0..{@code maxRank} are uniform, pooled into
     * {@code bins} bins of (maxRank + 1) / bins ranks each (which must divide evenly, so that
     * each bin is equally likely).
     */
    public static Uniformity uniformity(int[] ranks, int maxRank, int bins) {
        if (bins < 2 || (maxRank + 1) % bins != 0) {
            throw new IllegalArgumentException("the " + (maxRank + 1) + " possible ranks do not fall into " + bins
                    + " equal bins: choose the number of posterior draws L so that L + 1 is a multiple of the bins");
        }
        if (ranks.length == 0) {
            throw new IllegalArgumentException("no ranks");
        }
        int width = (maxRank + 1) / bins;
        long[] counts = new long[bins];
        for (int r : ranks) {
            if (r < 0 || r > maxRank) {
                throw new IllegalArgumentException("rank " + r + " is outside 0.." + maxRank);
            }
            counts[r / width]++;
        }
        double expected = (double) ranks.length / bins;
        double statistic = 0;
        for (long c : counts) {
            statistic += (c - expected) * (c - expected) / expected;
        }
        double p = ChiSquaredDistribution.of(bins - 1).survivalProbability(statistic);
        return new Uniformity(counts, expected, statistic, bins - 1, p);
    }

    /**
     * The outcome of a uniformity test of ranks.
     *
     * @param counts ranks per bin
     * @param expected ranks each bin expects under uniformity
     * @param statistic Pearson's chi-square
     * @param degreesOfFreedom bins - 1
     * @param pValue the chance of a statistic this large or larger under uniformity
     */
    public record Uniformity(long[] counts, double expected, double statistic, int degreesOfFreedom, double pValue) {

        public Uniformity {
            counts = counts.clone();
        }

        @Override
        public long[] counts() {
            return counts.clone();
        }

        /** A central band holding 99% of one bin's count under uniformity (binomial, normal approximation). */
        public double[] band() {
            long n = Arrays.stream(counts).sum();
            double p = 1.0 / counts.length;
            double half = 2.576 * Math.sqrt(n * p * (1 - p));
            return new double[] {Math.max(0, expected - half), expected + half};
        }
    }
}
