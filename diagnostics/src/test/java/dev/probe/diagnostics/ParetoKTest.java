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

    /**
     * k-hat of log weights read through a view (in chunks, from a position, several chunks and a partial one)
     * is the definition's to the bit: the m + 1 largest from a full sort, their exceedances over the
     * cutoff, the fit.
     */
    @Test
    void khatThroughAViewIsTheDefinitionsToTheBit() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(5, 6);
        for (int n : new int[] {10, 4096, 4097, 12_289, 100_003}) {
            double[] backing = new double[n + 7];
            for (int i = 0; i < backing.length; i++) {
                // Heavy-tailed log weights (a Student-like ratio), a few zero weights among them.
                double g = ZigguratSampler.NormalizedGaussian.of(rng).sample();
                backing[i] = i % 97 == 5 ? Double.NEGATIVE_INFINITY : 2 * g * g - Math.log(rng.nextDouble());
            }
            double[] x = java.util.Arrays.copyOfRange(backing, 7, backing.length);
            double[] sorted = x.clone();
            java.util.Arrays.sort(sorted);
            int finite = 0;
            for (double v : x) {
                finite += v > Double.NEGATIVE_INFINITY ? 1 : 0;
            }
            int m = Math.min(ParetoK.tailLength(n), finite - 1);
            double expected = Double.NaN;
            if (m >= ParetoK.MIN_TAIL) {
                double max = sorted[n - 1];
                double cutoff = Math.exp(sorted[n - m - 1] - max);
                double[] exceedances = new double[m];
                for (int i = 0; i < m; i++) {
                    exceedances[i] = Math.exp(sorted[n - m + i] - max) - cutoff;
                }
                expected = ParetoK.gpdShape(exceedances);
            }
            java.nio.DoubleBuffer view = java.nio.DoubleBuffer.wrap(backing).position(7).asReadOnlyBuffer();
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(ParetoK.khat(view)), n + " weights");
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(ParetoK.khat(x)), n + " weights");
            assertEquals(7, view.position(), "the view is read, not moved");
        }
    }

    /** The fit's grid on one thread or shared among cores: the same shape, to the bit. */
    @Test
    void theFitIsTheSameOnOneThreadAndSharedAmongCores() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(8, 9);
        for (int m : new int[] {5, 949, 3000}) {
            double[] exceedances = new double[m];
            for (int i = 0; i < m; i++) {
                exceedances[i] = Math.pow(rng.nextDouble(), -0.6) - 1;
            }
            java.util.Arrays.sort(exceedances);
            double alone = ParetoK.gpdShape(exceedances, false);
            assertEquals(Double.doubleToRawLongBits(alone), Double.doubleToRawLongBits(ParetoK.gpdShape(exceedances, true)), m + " weights");
            assertEquals(Double.doubleToRawLongBits(alone), Double.doubleToRawLongBits(ParetoK.gpdShape(exceedances)), m + " weights");
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
