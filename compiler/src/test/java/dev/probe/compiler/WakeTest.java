package dev.probe.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.probe.proposals.Artifact;
import dev.probe.proposals.NetworkProposal;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.Statistics;

/** The wake phase: training on runs the network draws itself at the observation ({@link Trainer}, {@link WakeSampler}). */
class WakeTest {

    /** y = 3 from x ~ N(0, 1), y ~ N(x, 0.2): three prior predictive standard deviations out. */
    private static final Model TAIL = Model.named("tail", ctx -> {
        double x = ctx.sample(Normal.of(0, 1), "x");
        ctx.observe(Normal.of(x, 0.2), "y");
        return x;
    });

    @Test
    void resamplingCopiesEachRunInProportionToItsWeight() {
        double[] weights = Statistics.normalize(new double[] {Math.log(1), Math.log(2), Math.log(3), Math.log(4),
            Double.NEGATIVE_INFINITY});
        int[] counts = new int[weights.length];
        for (int j : Trainer.resample(weights, 1000, 7)) {
            counts[j]++;
        }
        // Systematic resampling: each run's count is k w_j rounded one way or the other; no cap
        // binds (1 / sqrt(5) = 0.447 is above the largest weight, 0.4).
        assertArrayEquals(new int[] {100, 200, 300, 400, 0}, counts);
        // The indices come in the runs' order.
        int[] drawn = Trainer.resample(weights, 10, 3);
        for (int i = 1; i < drawn.length; i++) {
            assertTrue(drawn[i] >= drawn[i - 1]);
        }
    }

    @Test
    void oneHeavyRunIsCopiedNoMoreThanTheTruncationAllows() {
        // 100 runs, one with a million times the others' weight: untruncated it would take
        // 99.99% of the copies; truncated at sqrt(100) = 10 times the mean weight, it keeps
        // 0.1 / (0.1 + 99 * w) of them, where w is each other run's share of the total, 1e-6 /
        // (1 + 99e-6): 0.1 / (0.1 + 0.000099) = 0.99901.
        double[] logWeights = new double[100];
        logWeights[42] = Math.log(1e6);
        int[] counts = new int[100];
        double[] weights = Statistics.normalize(logWeights);
        for (int j : Trainer.resample(weights, 100_000, 11)) {
            counts[j]++;
        }
        assertEquals(99_901, counts[42], 1);
        assertEquals(1.0, Statistics.kish(weights), 1e-3);
        assertEquals(100.0, Statistics.kish(Statistics.normalize(new double[100])), 1e-9);
    }

    @Test
    void theWakePhaseSharpensAProposalTrainedOnThePriorAndASeedFixesIt() {
        Map<String, Object> observation = Map.of("y", 3.0);
        // A network trained on 3,000 prior runs has seen y near 3 in about 0.4% of them (y ~ N(0,
        // 1.02)): its proposal there is poor. The wake phase trains it on 20,000 runs it draws
        // itself at y = 3.
        Artifact sleep = Trainer.train(RunSource.online(TAIL, "tail", 5, 2, 64), InferenceCompilationTest.options(3_000, 5, 64),
                Trainer.Listener.NONE);
        Artifact woken = Trainer.train(RunSource.online(TAIL, "tail", 5, 2, 64), InferenceCompilationTest.options(3_000, 5, 64),
                new WakeSampler(TAIL, "tail", observation, 2, 64), 20_000, Trainer.Listener.NONE);
        Artifact again = Trainer.train(RunSource.online(TAIL, "tail", 5, 1, 64), InferenceCompilationTest.options(3_000, 5, 64),
                new WakeSampler(TAIL, "tail", observation, 1, 64), 20_000, Trainer.Listener.NONE);
        try {
            Posterior before = Inference.importanceSampling(TAIL).observations(observation)
                    .proposal(new NetworkProposal(sleep.network())).traces(4000).seed(12).run();
            Posterior after = Inference.importanceSampling(TAIL).observations(observation)
                    .proposal(new NetworkProposal(woken.network())).traces(4000).seed(12).run();
            // Conjugate: precision 1 + 25, mean 25 * 3 / 26, sd 1 / sqrt(26).
            InferenceCompilationTest.assertNormalPosterior(after, "x", 75.0 / 26, 1 / Math.sqrt(26));
            assertTrue(after.ess() > 1.5 * before.ess() && after.ess() > 2000,
                    "ESS " + before.ess() + " after sleep, " + after.ess() + " after the wake phase");
            assertEquals(1, woken.training().get("wake").get("rounds").size());
            assertEquals(20_000, woken.training().get("wake").get("runs").asLong());
            // One thread or two: the same draws, the same weights.
            woken.network().weights().forEach((name, w) -> assertArrayEquals(w, again.network().weights().get(name), name));
        } finally {
            sleep.network().close();
            woken.network().close();
            again.network().close();
        }
    }
}
