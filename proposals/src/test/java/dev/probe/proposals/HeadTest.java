package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Bernoulli;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.DistributionKind;
import dev.probe.runtime.distribution.Mixture;

/** The proposal heads' choice agrees with the runtime's registry of kinds. */
class HeadTest {

    /** The head each registered kind's example gets (null: drawn from its prior). */
    private static final Map<DistributionKind, Head> EXPECTED = Map.ofEntries(
            Map.entry(DistributionKind.NORMAL, Head.NORMAL),
            Map.entry(DistributionKind.UNIFORM, Head.TRUNCATED),
            Map.entry(DistributionKind.TRUNCATED_NORMAL, Head.TRUNCATED),
            Map.entry(DistributionKind.LOG_NORMAL, Head.TRUNCATED),
            Map.entry(DistributionKind.EXPONENTIAL, Head.TRUNCATED),
            Map.entry(DistributionKind.GAMMA, Head.TRUNCATED),
            Map.entry(DistributionKind.BETA, Head.TRUNCATED),
            Map.entry(DistributionKind.BERNOULLI, Head.BERNOULLI),
            Map.entry(DistributionKind.BINOMIAL, Head.BINOMIAL),
            Map.entry(DistributionKind.POISSON, Head.POISSON),
            Map.entry(DistributionKind.CATEGORICAL, Head.CATEGORICAL),
            Map.entry(DistributionKind.MIXTURE, Head.NORMAL));

    @Test
    void everyRegisteredKindGetsItsHeadAndBecomesAChoice() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(7, 8);
        for (DistributionKind k : DistributionKind.values()) {
            @SuppressWarnings("unchecked")
            Distribution<Object> prior = (Distribution<Object>) k.create(k.exampleArguments());
            Head head = Head.of(prior, 64);
            assertEquals(EXPECTED.get(k), head, k.label());
            Choice c = Choice.of("a", prior, prior.sample(rng), 64);
            if (head == null) {
                assertNull(c, k.label());
                continue;
            }
            assertNotNull(c, k.label());
            for (double p : c.prior()) {
                assertTrue(!Double.isNaN(p), k.label() + " prior parameters");
            }
        }
    }

    @Test
    void widenedRealProposalsAreWiderAndStillDensities() {
        // Fixed head outputs, as a network might give them, for a choice on (0, 1), one on (0, inf)
        // and one on the whole line; widened 1.5 times, each must still integrate to 1 (the
        // truncated components' normalisers follow their new scales) and have a larger variance.
        float[] out = new float[3 * Head.MIXTURE];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.sin(3.0 * i);
        }
        for (Distribution<?> prior : List.of(dev.probe.runtime.distribution.Beta.of(2, 2),
                dev.probe.runtime.distribution.Gamma.of(4, 0.5), dev.probe.runtime.distribution.Normal.of(1, 2))) {
            Head head = Head.of(prior, 64);
            double[] parameters = Choice.parameters(head, prior, Choice.frame(prior));
            Distribution<?> own = HeadMath.distribution(head, parameters, out, 1);
            Distribution<?> wide = HeadMath.distribution(head, parameters, out, 1.5);
            double low = prior.support().lower();
            double high = prior.support().upper();
            double from = Double.isInfinite(low) ? own.mean() - 60 * Math.sqrt(own.variance()) : low;
            double to = Double.isInfinite(high) ? own.mean() + 60 * Math.sqrt(own.variance()) : high;
            assertEquals(1, integral(wide, from, to), 1e-4, prior + ": the widened proposal's total mass");
            assertEquals(1, integral(own, from, to), 1e-4, prior + ": the proposal's total mass");
            assertTrue(wide.variance() > own.variance(), prior + ": variance " + wide.variance() + " against "
                    + own.variance());
        }
    }

    @Test
    void aTruncatedProposalWidenedIsTheHeadsProposalMadeWiderToTheBit() {
        // --defensive's wide proposal reuses the network's weights and locations instead of
        // transforming the outputs again: it must be the same distribution, and the density a
        // mixture remembers for its last point the density at that point.
        java.util.Random random = new java.util.Random(7);
        for (Distribution<?> prior : List.of(dev.probe.runtime.distribution.Beta.of(2, 2),
                dev.probe.runtime.distribution.Gamma.of(4, 0.5))) {
            Head head = Head.of(prior, 64);
            double[] parameters = Choice.parameters(head, prior, Choice.frame(prior));
            for (int n = 0; n < 50; n++) {
                float[] out = new float[3 * Head.MIXTURE];
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) (2 * random.nextGaussian());
                }
                double widen = 1 + random.nextDouble();
                TruncatedNormalMixture own = (TruncatedNormalMixture) HeadMath.distribution(head, parameters, out, widen);
                TruncatedNormalMixture widened = own.widened(2);
                Distribution<?> made = HeadMath.distribution(head, parameters, out, 2 * widen);
                for (int i = 0; i < 20; i++) {
                    double x = (Double) made.sample(new org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus(n, i));
                    double expected = made.logProbOf(x);
                    assertEquals(expected, widened.logProbOf(x), 0.0, prior + " at " + x);
                    assertEquals(expected, widened.logProbOf(x), 0.0, prior + " at " + x + ", asked again");
                    assertEquals(own.logDensity(x), HeadMath.distribution(head, parameters, out, widen).logProbOf(x), 0.0);
                }
            }
        }
    }

    /** The integral of a density on [a, b] by Simpson's rule on 200,000 intervals. */
    private static double integral(Distribution<?> d, double a, double b) {
        int n = 200_000;
        double h = (b - a) / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double x = Math.min(Math.max(a + i * h, a), b);
            // The ends of a closed support hold no mass; the density there may be infinite.
            double f = i == 0 || i == n ? 0 : Math.exp(d.logProbOf(x));
            sum += f * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3;
    }

    @Test
    void softPlusIsWithinAFewUlpsOfLog1pOfExp() {
        // The scales' softplus replaced log1p(exp(x)) by Kahan's identity; a slip in it (log(1 + y)
        // alone loses all precision below x = -37, and 30% of it near -20) shows as thousands of ulps.
        double worst = 0;
        for (double x = -745; x <= 20; x += 0.0137) {
            double expected = Math.log1p(Math.exp(x));
            double got = HeadMath.softPlus(x);
            worst = Math.max(worst, Math.abs(got - expected) / Math.ulp(expected));
        }
        assertTrue(worst <= 4, "softPlus is " + worst + " ulps from log1p(exp(x))");
        assertEquals(25.0, HeadMath.softPlus(25.0));
    }

    @Test
    void aMixtureOfBernoullisIsProposedByTheBernoulliHead() {
        Mixture<Boolean> prior = Mixture.of(new double[] {1, 3}, List.of(Bernoulli.of(0.2), Bernoulli.of(0.6)));
        Choice c = Choice.of("b", prior, true, 64);
        assertEquals(Head.BERNOULLI, c.head());
        // P(true) = 0.25 * 0.2 + 0.75 * 0.6 = 0.5: logit 0.
        assertEquals(0.0, c.prior()[0], 1e-12);
    }

    @Test
    void embeddedKindsKeepTheirRowsAndOthersShareRowZero() {
        assertEquals(1, ProposalNetwork.kindIndex("Normal"));
        assertEquals(12, ProposalNetwork.kindIndex("Mixture"));
        assertEquals(0, ProposalNetwork.kindIndex("Dirichlet"));
        assertEquals(0, ProposalNetwork.kindIndex("SomeoneElses"));
    }
}
