package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.probe.bridge.SimulatorLauncher;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Self-drawn runs (protocol version 2): where the engine decides no choice, real C++ and Python
 * simulators draw their own choices from each run's seed and stream them. The posterior is the
 * round-trip mode's in distribution (both meet the exact one), and a seed fixes it whatever the
 * number of simulators.
 */
class SelfDrawTest {

    /** The C++ simulators of models/cpp, built as SimulatorBridgeTest builds them. */
    @BeforeAll
    static void buildSimulators() throws IOException, InterruptedException {
        SimulatorBridgeTest.buildSimulators();
    }

    private static final String GAUSSIAN = SimulatorBridgeTest.BUILD.resolve("gaussian").toString();

    /** Importance sampling from the prior of the gaussian given obs0 = 8, obs1 = 9, seed 11. */
    private static Posterior is(Model m, int traces, int threads) {
        return Inference.importanceSampling(m).observe("obs0", 8.0).observe("obs1", 9.0).traces(traces).threads(threads).seed(11).run();
    }

    private static double[] mus(Posterior p) {
        double[] v = new double[p.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) p.value("mu", i)).doubleValue();
        }
        return v;
    }

    @Test
    void aSelfDrawnPosteriorMeetsTheRoundTripOneAndTheExactOne() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 2)) {
            Posterior fast = is(sims.model(30_000, true), 20_000, 2);
            Posterior slow = is(sims.model(30_000, false), 20_000, 2);
            // Drawn by the simulator, not the runtime: other values than the round trip's under one seed.
            assertNotEquals(slow.value("mu", 0), fast.value("mu", 0));
            // The exact posterior is N(7.25, 0.9129^2). Each mode's mean lies within 5 Monte Carlo
            // standard errors (0.9129 / sqrt(ESS)) of 7.25, and its second moment about 7.25 within 5
            // of theirs (the standard deviation of (mu - 7.25)^2 is sqrt(2) 0.9129^2 under the posterior);
            // the two modes' means lie within 5 standard errors of their difference of each other.
            double var = 0.9129 * 0.9129;
            double[] se = new double[2];
            Posterior[] both = {fast, slow};
            for (int k = 0; k < 2; k++) {
                Posterior p = both[k];
                se[k] = 0.9129 / Math.sqrt(p.ess());
                assertEquals(7.25, p.marginal("mu").mean(), 5 * se[k], k == 0 ? "self-drawn" : "round trip");
                double m2 = 0;
                double[] mu = mus(p);
                for (int i = 0; i < mu.length; i++) {
                    m2 += p.weight(i) * (mu[i] - 7.25) * (mu[i] - 7.25);
                }
                assertEquals(var, m2, 5 * Math.sqrt(2) * var / Math.sqrt(p.ess()), k == 0 ? "self-drawn" : "round trip");
            }
            assertEquals(slow.marginal("mu").mean(), fast.marginal("mu").mean(), 5 * Math.hypot(se[0], se[1]));
        }
    }

    @Test
    void aSeedFixesASelfDrawnPosteriorAtOneAndTwoSimulators() throws Exception {
        Posterior one;
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 1)) {
            one = is(sims.model(30_000, true), 3000, 1);
        }
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 2)) {
            Posterior two = is(sims.model(30_000, true), 3000, 2);
            assertArrayEquals(one.logWeights(), two.logWeights());
            assertArrayEquals(mus(one), mus(two));
        }
    }

    /**
     * Prior sampling with nothing observed: the simulator draws its observations too. Their prior
     * predictive is N(1, 5 + 2): the mean of obs0 over 20,000 runs lies within 5 standard errors
     * (sqrt(7 / 20,000)) of 1.
     */
    @Test
    void priorSamplingDrawsTheObservationsInTheSimulator() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 2)) {
            Posterior p = Inference.prior(sims.model(30_000, true)).traces(20_000).threads(2).seed(4).run();
            double sum = 0;
            for (int i = 0; i < p.size(); i++) {
                sum += ((Number) p.value("obs0", i)).doubleValue();
            }
            assertEquals(1.0, sum / p.size(), 5 * Math.sqrt(7.0 / p.size()));
        }
    }

    /** The Python client draws with the C++ client's generator and samplers: the same values under one seed. */
    @Test
    void thePythonAndCppClientsDrawTheSameValues() throws Exception {
        Posterior cpp;
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 1)) {
            cpp = is(sims.model(30_000, true), 500, 1);
        }
        try (SimulatorLauncher sims = SimulatorLauncher.start(PythonSimulatorTest.model("gaussian"), 1)) {
            Posterior py = is(sims.model(30_000, true), 500, 1);
            assertArrayEquals(cpp.logWeights(), py.logWeights());
            assertArrayEquals(mus(cpp), mus(py));
        }
    }
}
