package dev.probe.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.probe.proposals.Artifact;
import dev.probe.proposals.Choice;
import dev.probe.proposals.NetworkProposal;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/** Training runs focused on one observation ({@link FocusedSource}). */
class FocusedSourceTest {

    /** y = 3.5 from x ~ N(0, 1), y ~ N(x, 0.1): 3.5 prior predictive standard deviations out. */
    private static final Model TAIL = Model.named("tail", ctx -> {
        double x = ctx.sample(Normal.of(0, 1), "x");
        ctx.observe(Normal.of(x, 0.1), "y");
        return x;
    });

    private static double y(SimulatedRun r) {
        return r.observations().get("y")[0];
    }

    @Test
    void keepsTheNearestShareOfRunsAndASeedFixesThem() {
        FocusedSource focused = new FocusedSource(RunSource.online(TAIL, "tail", 3, 2, 64), Map.of("y", new double[] {1.0}), 0.1);
        List<SimulatedRun> validation = focused.validation(200);
        assertEquals(200, validation.size());
        double edge = 0;
        for (SimulatedRun r : validation) {
            edge = Math.max(edge, Math.abs(y(r) - 1.0));
        }
        // The nearest tenth of N(0, 1.005) around 1: |y - 1| < 0.207 (the density near 1 is
        // 0.241). The 200th nearest of 2,000 pilot runs: a binomial count with sd 13.4 runs, 0.014
        // in y; 5 of them either side.
        assertTrue(edge > 0.207 - 0.07 && edge < 0.207 + 0.07, "the validation runs reach " + edge + " from the focus");
        List<SimulatedRun> training = focused.next(5000);
        assertEquals(5000, training.size());
        for (SimulatedRun r : training) {
            assertTrue(Math.abs(y(r) - 1.0) <= edge, "a training run at y = " + y(r) + ", beyond " + edge);
        }
        FocusedSource again = new FocusedSource(RunSource.online(TAIL, "tail", 3, 2, 64), Map.of("y", new double[] {1.0}), 0.1);
        again.validation(200);
        List<SimulatedRun> same = again.next(5000);
        assertEquals(training.size(), same.size());
        for (int i = 0; i < same.size(); i++) {
            assertEquals(y(training.get(i)), y(same.get(i)), 0.0, "run " + i);
        }
    }

    @Test
    void anOnlineSourceKeepsTheRunsItWouldHaveGivenAndFiltered() {
        // The online source tests observations before converting choices: the same runs, the same
        // choices, as converting every run of the block and filtering afterwards.
        java.util.function.Predicate<Map<String, double[]>> near = y -> Math.abs(y.get("y")[0] - 1.0) < 0.3;
        RunSource.Kept kept = RunSource.online(TAIL, "tail", 5, 2, 64).next(4000, near);
        List<SimulatedRun> all = RunSource.online(TAIL, "tail", 5, 2, 64).next(4000);
        List<SimulatedRun> filtered = all.stream().filter(r -> near.test(r.observations())).toList();
        assertEquals(4000, kept.seen());
        assertTrue(filtered.size() > 100, filtered.size() + " runs near the focus");
        assertEquals(filtered.size(), kept.runs().size());
        for (int i = 0; i < filtered.size(); i++) {
            assertEquals(y(filtered.get(i)), y(kept.runs().get(i)), 0.0, "run " + i);
            Choice a = filtered.get(i).choices().get(0);
            Choice b = kept.runs().get(i).choices().get(0);
            assertEquals(a.address(), b.address(), "run " + i);
            assertEquals(a.value(), b.value(), 0.0, "run " + i);
            assertEquals(1, kept.runs().get(i).choices().size());
        }
    }

    @Test
    void keepsEveryTiedRunWithADiscreteObservation() {
        Model coin = Model.named("coin", ctx -> {
            double p = ctx.sample(dev.probe.runtime.distribution.Beta.of(1, 1), "p");
            ctx.observe(dev.probe.runtime.distribution.Bernoulli.of(p), "y");
            return p;
        });
        FocusedSource focused = new FocusedSource(RunSource.online(coin, "coin", 4, 2, 64), Map.of("y", new double[] {1}), 0.1);
        List<SimulatedRun> validation = focused.validation(100);
        // Every run with y = 1 is at distance 0, the tenth's threshold: about half of the 1,000
        // pilot runs (binomial sd 16), not a tenth; training keeps the same runs.
        assertTrue(validation.size() > 400 && validation.size() < 600, validation.size() + " validation runs");
        for (SimulatedRun r : validation) {
            assertEquals(1.0, y(r));
        }
        for (SimulatedRun r : focused.next(2000)) {
            assertEquals(1.0, y(r));
        }
        assertEquals(validation.size(), focused.record().get("pilot_kept").asLong());
        assertEquals(1000, focused.record().get("pilot_runs").asLong());
    }

    @Test
    void refusesWhatItCannotFocusOn() {
        RunSource online = RunSource.online(TAIL, "tail", 3, 2, 64);
        assertThrows(IllegalArgumentException.class, () -> new FocusedSource(online, Map.of("y", new double[] {1}), 0));
        assertThrows(IllegalArgumentException.class, () -> new FocusedSource(online, Map.of(), 0.5));
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> new FocusedSource(online, Map.of("y", new double[] {1, 2}), 0.5).validation(10));
        assertEquals("the observation y to focus on has 2 values; the model's has 1", shape.getMessage());
        IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
                () -> new FocusedSource(online, Map.of("z", new double[] {1}), 0.5).validation(10));
        assertEquals("the observation z to focus on is not one the model makes (it observes y)", name.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FocusedSource(online, Map.of("y", new double[] {Double.NaN}), 0.5));
        IllegalArgumentException pilot = assertThrows(IllegalArgumentException.class,
                () -> new FocusedSource(online, Map.of("y", new double[] {1}), 1e-6).validation(256));
        assertTrue(pilot.getMessage().contains("256000000 pilot runs, over 5000000"), pilot.getMessage());
        assertThrows(IllegalStateException.class, () -> new FocusedSource(online, Map.of("y", new double[] {1}), 0.5).next(10));
    }

    @Test
    void aNetworkFocusedOnATailObservationMeetsItsExactPosterior() {
        Artifact net = Trainer.train(new FocusedSource(RunSource.online(TAIL, "tail", 2, 2, 64), Map.of("y", new double[] {3.5}),
                0.01), InferenceCompilationTest.options(20_000, 2, 512), Trainer.Listener.NONE);
        try {
            Posterior ic = Inference.importanceSampling(TAIL).observe("y", 3.5).proposal(new NetworkProposal(net.network()))
                    .traces(4000).seed(12).run();
            // Conjugate: precision 1 + 100, mean 100 * 3.5 / 101, sd 1 / sqrt(101).
            InferenceCompilationTest.assertNormalPosterior(ic, "x", 350.0 / 101, 1 / Math.sqrt(101));
            assertTrue(ic.ess() >= 0.9 * ic.size(), "ic ESS " + ic.ess() + " of " + ic.size());
        } finally {
            net.network().close();
        }
    }
}
