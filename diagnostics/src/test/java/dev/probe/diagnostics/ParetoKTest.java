package dev.probe.diagnostics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.junit.jupiter.api.Test;

class ParetoKTest {

    @Test
    void tailLengthFollowsThePaper() {
        assertEquals(20, ParetoK.tailLength(100));    // min(20, 30)
        assertEquals(300, ParetoK.tailLength(10_000)); // min(2000, 300)
        assertEquals(0.5, ParetoK.threshold(100), 1e-12);
        assertEquals(0.7, ParetoK.threshold(100_000), 1e-12);
    }

    @Test
    void recoversTheShapeOfParetoWeights() {
        // Weights U^-k have a Pareto tail of shape k. With S = 100,000 the tail has 949 draws and
        // the estimate's sd is about (1 + k) / sqrt(949) = 0.06: 4 sd = 0.25.
        for (double k : new double[] {0.3, 0.9}) {
            UniformRandomProvider rng = new XoRoShiRo128PlusPlus(7, (long) (k * 10));
            double[] lw = new double[100_000];
            for (int i = 0; i < lw.length; i++) {
                lw[i] = -k * Math.log(rng.nextDouble());
            }
            assertEquals(k, ParetoK.khat(lw), 0.25, "shape " + k);
        }
    }

    @Test
    void heavyTailedWeightsAreFlaggedAndGoodOnesPass() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(8, 0);
        ZigguratSampler.NormalizedGaussian normal = ZigguratSampler.NormalizedGaussian.of(rng);
        double[] heavy = new double[20_000];
        double[] good = new double[20_000];
        for (int i = 0; i < heavy.length; i++) {
            // Log-normal weights with sigma 3 (a proposal far narrower than the target): k ~ 1.
            heavy[i] = 3 * normal.sample();
            // sigma 0.2: nearly equal weights.
            good[i] = 0.2 * normal.sample();
        }
        assertTrue(ParetoK.khat(heavy) > 0.7, "heavy k-hat " + ParetoK.khat(heavy));
        assertTrue(ParetoK.khat(good) < 0.5, "good k-hat " + ParetoK.khat(good));
    }

    @Test
    void theLargestWeightsAreTheOnesASortFinds() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(9, 9);
        for (int t = 0; t < 50; t++) {
            double[] x = new double[1 + rng.nextInt(5000)];
            for (int i = 0; i < x.length; i++) {
                // Ties, zero weights and an ascending run (every value replaces the root) among them.
                x[i] = t % 3 == 0 ? rng.nextInt(20) : t % 3 == 1 ? (rng.nextInt(4) == 0 ? Double.NEGATIVE_INFINITY : rng.nextDouble()) : i;
            }
            // Counts small next to the values too, so that the buffer fills and the bar rises many times.
            int count = 1 + rng.nextInt(t % 2 == 0 ? x.length : Math.max(1, x.length / 50));
            double[] sorted = x.clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(java.util.Arrays.copyOfRange(sorted, x.length - count, x.length), ParetoK.largest(x, count));
        }
    }

    /** The grid's log1p through Math.log stays within 2 ulps of Math.log1p over the arguments the fit gives it. */
    @Test
    void log1pAgreesWithTheLibrarysToTwoUlps() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(4, 4);
        for (int i = 0; i < 200_000; i++) {
            double y = i % 2 == 0 ? -rng.nextDouble() : Math.scalb(rng.nextDouble(), rng.nextInt(60) - 50);
            double exact = Math.log1p(y);
            assertEquals(exact, ParetoK.log1p(y), 2 * Math.ulp(exact), "log1p(" + y + ")");
        }
        assertEquals(0.0, ParetoK.log1p(0.0), 0.0);
        assertEquals(1e-300, ParetoK.log1p(1e-300), 0.0);
    }

    @Test
    void equalOrTooFewWeightsGiveNoEstimate() {
        assertTrue(Double.isNaN(ParetoK.khat(new double[1000])));
        assertTrue(Double.isNaN(ParetoK.khat(new double[] {0, 1, 2, 3})));
    }
}
