package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;

/**
 * {@code ic --defensive}'s two-part mixture of a choice is {@code Mixture.of} of the same parts to
 * the bit: the same draws under the same generator, the same log density at them, and the same
 * moments, for shares from even to 10^-12 either way (the odds of a run's two proposals move that
 * far within a run).
 */
class RunMixtureTest {

    @Test
    void drawsDensitiesAndMomentsAreThoseOfTheMixture() {
        UniformRandomProvider parameters = new XoRoShiRo128PlusPlus(5, 6);
        double[] allOdds = {1, 0.25, 4, 1e-3, 1e3, 1e-12, 1e12, 0.5 + 1e-16};
        int compared = 0;
        for (double odds : allOdds) {
            double[] w = new double[10];
            double[] location = new double[10];
            double[] scale = new double[10];
            for (int i = 0; i < 10; i++) {
                w[i] = Math.exp(3 * parameters.nextDouble());
                location[i] = parameters.nextDouble();
                scale[i] = 0.02 + 0.3 * parameters.nextDouble();
            }
            TruncatedNormalMixture q = new TruncatedNormalMixture(w, location, scale, 0, 1);
            TruncatedNormalMixture wide = q.widened(NetworkProposal.DEFENSIVE_WIDTH);
            double first = 1 / (1 + odds);
            double second = odds / (1 + odds);
            RunMixture<Double> fast = new RunMixture<>(q, wide, first, second);
            Mixture<Double> general = Mixture.of(new double[] {first, second}, List.<Distribution<Double>>of(q, wide));
            UniformRandomProvider a = new XoRoShiRo128PlusPlus(21, 22);
            UniformRandomProvider b = new XoRoShiRo128PlusPlus(21, 22);
            for (int n = 0; n < 5000; n++) {
                double x = fast.sample(a);
                assertEquals(Double.doubleToLongBits(general.sample(b)), Double.doubleToLongBits(x), "draw " + n + " at odds " + odds);
                assertEquals(Double.doubleToLongBits(general.logProb(x)), Double.doubleToLongBits(fast.logProb(x)),
                        "log density at " + x + ", odds " + odds);
                compared++;
            }
            assertEquals(general.logProb(1.5), fast.logProb(1.5), "outside the interval");
            assertEquals(general.mean(), fast.mean(), 0.0);
            assertEquals(general.variance(), fast.variance(), 0.0);
        }
        assertEquals(allOdds.length * 5000, compared);
    }

    /** Shares Mixture.of refuses are refused: NaN (odds of two underflowed densities), negative, zero, infinite. */
    @Test
    void invalidSharesAreRefusedAsTheMixtureRefusesThem() {
        TruncatedNormalMixture q = new TruncatedNormalMixture(new double[] {1}, new double[] {0.2}, new double[] {0.1}, 0, 1);
        TruncatedNormalMixture wide = q.widened(NetworkProposal.DEFENSIVE_WIDTH);
        double[][] bad = {{Double.NaN, Double.NaN}, {-0.5, 1.5}, {0, 0}, {Double.POSITIVE_INFINITY, 1}};
        for (double[] w : bad) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> Mixture.of(w, List.<Distribution<Double>>of(q, wide)), "Mixture.of " + java.util.Arrays.toString(w));
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new RunMixture<>(q, wide, w[0], w[1]), java.util.Arrays.toString(w));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("Mixture: "), e.getMessage());
        }
    }

    /** Uniform draws at the cut itself and next to it go to the same part as the guide table sends them. */
    @Test
    void theCutIsTheGuideTables() {
        for (double odds : new double[] {1, 3, 1.0 / 3, 1e-9, 7.25}) {
            double first = 1 / (1 + odds);
            double second = odds / (1 + odds);
            TruncatedNormalMixture q = new TruncatedNormalMixture(new double[] {1}, new double[] {0.2}, new double[] {0.01}, 0, 1);
            TruncatedNormalMixture wide = new TruncatedNormalMixture(new double[] {1}, new double[] {0.8}, new double[] {0.01}, 0, 1);
            RunMixture<Double> fast = new RunMixture<>(q, wide, first, second);
            Mixture<Double> general = Mixture.of(new double[] {first, second}, List.<Distribution<Double>>of(q, wide));
            double cut = first / (first + second);
            for (double u : new double[] {Math.nextDown(cut), cut, Math.nextUp(cut), 0, Math.nextDown(1.0)}) {
                // A generator whose first double is u; the parts' draws then come from the rest.
                assertEquals(part(general.sample(fixed(u))), part(fast.sample(fixed(u))), "u = " + u + ", odds " + odds);
            }
        }
    }

    private static int part(double x) {
        return x < 0.5 ? 0 : 1;
    }

    /** nextDouble gives u first, then 0.5s. */
    private static UniformRandomProvider fixed(double u) {
        return new UniformRandomProvider() {
            private boolean first = true;

            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble() {
                double v = first ? u : 0.5;
                first = false;
                return v;
            }
        };
    }
}
