package dev.probe.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.probe.proposals.NetworkProposal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.posterior.Posterior;

/**
 * The advice on heavy-tailed weights follows the proposal the posterior's provenance records: a
 * network is told to train longer, any other proposal to use one; a saved posterior advises as
 * the fresh one did.
 */
class DiagnosticsTest {

    /** {@link CalibrationTest#TOO_NARROW} under the network proposal's name, as ic and smc --network record it. */
    private static final Proposal NARROW_NETWORK = narrowNetwork("");

    /** The same, its provenance naming {@code settings} after the name (as {@code ic --widen} does). */
    private static Proposal narrowNetwork(String settings) {
        return new Proposal() {
            @Override
            public Proposer start(Observations observations) {
                return CalibrationTest.TOO_NARROW.start(observations);
            }

            @Override
            public String name() {
                return NetworkProposal.NAME;
            }

            @Override
            public String describe() {
                return NetworkProposal.NAME + settings;
            }
        };
    }

    private static Posterior infer(Proposal proposal) {
        return Inference.importanceSampling(CalibrationTest.GAUSSIAN).observe("obs0", 8.0).observe("obs1", 9.0)
                .proposal(proposal).traces(5000).seed(3).run();
    }

    @Test
    void heavyTailedWeightsOfANetworkAdviseTrainingAndOfAnotherProposalAdviseANetwork(@TempDir Path dir) throws Exception {
        // A proposal with a tenth of the posterior's sd: the weights are as heavy-tailed as they come (k-hat near 1).
        Posterior network = infer(NARROW_NETWORK);
        Diagnostics d = Diagnostics.of(network);
        assertTrue(d.weights().khat() > Diagnostics.KHAT_LIMIT, "k-hat " + d.weights().khat());
        assertTrue(d.warnings().get(0).contains("Train the network longer"), d.warnings().toString());

        Path saved = dir.resolve("network.probe");
        network.save(saved);
        assertEquals(d.warnings(), Diagnostics.of(Posterior.load(saved)).warnings());

        // Settings after the name (ic --widen, --prior-mix) leave it the network's proposal.
        Posterior wide = infer(narrowNetwork(", widen=1.2"));
        assertEquals("proposal=network, widen=1.2", wide.provenance().options());
        assertTrue(Diagnostics.of(wide).warnings().get(0).contains("Train the network longer"),
                Diagnostics.of(wide).warnings().toString());

        Diagnostics other = Diagnostics.of(infer(CalibrationTest.TOO_NARROW));
        assertFalse(other.ok());
        assertTrue(other.warnings().get(0).contains("--engine ic"), other.warnings().toString());
        assertFalse(other.warnings().toString().contains("Train the network"), other.warnings().toString());
    }

    @Test
    void theNetworkProposalIsKnownByTheNameTheProposalsModuleGivesIt() {
        assertEquals(NetworkProposal.NAME, Diagnostics.NETWORK_PROPOSAL);
    }

    /**
     * The figures do not depend on how many threads compute them: Diagnostics.of inside pools of 1 and 4 threads (its
     * parallel parts run in the pool that calls it) gives equal records, for Markov chains with a continuous and a
     * slowly mixing variable and for importance weights.
     */
    @Test
    void theFiguresAreTheSameOnOneThreadAndOnFour() throws Exception {
        dev.probe.runtime.model.Model model = ctx -> {
            double mu = ctx.sample(dev.probe.runtime.distribution.Normal.of(0, 1), "mu");
            boolean b = ctx.sample(dev.probe.runtime.distribution.Bernoulli.of(0.3), "b");
            ctx.observe(dev.probe.runtime.distribution.Normal.of(mu + (b ? 3 : 0), 0.3), "y");
            return null;
        };
        Posterior rmh = Inference.metropolisHastings(model).observe("y", 1.5).traces(40_000).seed(5).run();
        Posterior is = infer(CalibrationTest.TOO_NARROW);
        for (Posterior p : new Posterior[] {rmh, is}) {
            java.util.concurrent.ForkJoinPool one = new java.util.concurrent.ForkJoinPool(1);
            java.util.concurrent.ForkJoinPool four = new java.util.concurrent.ForkJoinPool(4);
            try {
                Diagnostics a = one.submit(() -> Diagnostics.of(p)).get();
                Diagnostics b = four.submit(() -> Diagnostics.of(p)).get();
                assertEquals(a, b);
                assertEquals(a, Diagnostics.of(p));
            } finally {
                one.shutdown();
                four.shutdown();
            }
        }
    }
}
