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
