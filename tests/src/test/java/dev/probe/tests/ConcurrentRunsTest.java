package dev.probe.tests;

import static dev.probe.tests.SimulatorBridgeTest.assertSamePosterior;
import static dev.probe.tests.SimulatorBridgeTest.twin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.probe.bridge.SimulatorLauncher;
import dev.probe.engines.smc.SequentialMonteCarlo;
import dev.probe.models.Builtins;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Simulators that serve several runs at the same time on one connection (capability
 * "concurrent-runs:N"), real C++ and Python processes: under rmh and smc, where the runtime decides
 * every choice, the posterior is the one of one run per connection (the Java twin's, which the
 * twins give run for run in SimulatorBridgeTest and PythonSimulatorTest) at one and two simulators;
 * a simulator killed with several runs in flight loses none of them; a simulator that serves one
 * run at a time still works beside one that serves several.
 */
class ConcurrentRunsTest {

    @BeforeAll
    static void buildSimulators() throws IOException, InterruptedException {
        SimulatorBridgeTest.buildSimulators();
    }

    private static String cpp(String name, int concurrent) {
        return SimulatorBridgeTest.BUILD.resolve(name) + " --concurrent-runs " + concurrent;
    }

    private static String python(String name, int concurrent) {
        return PythonSimulatorTest.model(name) + " --concurrent-runs " + concurrent;
    }

    private static final Function<Model, Inference> SMC = m -> Inference.with(new SequentialMonteCarlo(SequentialMonteCarlo.Options.DEFAULT), m);

    private static Model builtin(String name) {
        return Builtins.find(name).orElseThrow().create();
    }

    private static void assertSameBranching(Posterior expected, Posterior actual) {
        assertArrayEquals(expected.logWeights(), actual.logWeights());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.value("r", i), actual.value("r", i), "run " + i);
        }
    }

    /**
     * The gaussian and branching twins under rmh (8 chains) and smc, on 1 and 2 simulators serving 4
     * runs each at once (threads: 4 per simulator): the Java twin's posterior bit for bit, as with one
     * run per connection; and the connections did carry several runs at once.
     */
    @Test
    void cppSimulatorsServingSeveralRunsGiveTheSamePosteriorsAtOneAndTwoSimulators() throws Exception {
        Posterior gaussianRmh = twin(Inference.metropolisHastings(builtin("gaussian")).chains(8).traces(1600));
        Posterior gaussianSmc = twin(SMC.apply(builtin("gaussian")).traces(500));
        Posterior branchingRmh = Inference.metropolisHastings(builtin("branching")).chains(8).observe("obs", 6).traces(1600).seed(3).run();
        Posterior branchingSmc = SMC.apply(builtin("branching")).observe("obs", 6).traces(500).seed(3).run();
        for (int workers = 1; workers <= 2; workers++) {
            try (SimulatorLauncher sims = SimulatorLauncher.start(cpp("gaussian", 4), workers)) {
                Model m = sims.model(30_000);
                assertEquals(4 * workers, m.maxConcurrentRuns());
                assertSamePosterior(gaussianRmh, twin(Inference.metropolisHastings(m).chains(8).traces(1600).threads(4 * workers)));
                assertSamePosterior(gaussianSmc, twin(SMC.apply(m).traces(500).threads(4 * workers)));
                assertTrue(sims.server().peakRunsPerSimulator() > 1, "runs at once on one simulator: " + sims.server().peakRunsPerSimulator());
                assertEquals(workers, sims.server().live(), "simulators still connected");
                assertEquals(workers, sims.server().attachedCount(), "simulators attached");
            }
            try (SimulatorLauncher sims = SimulatorLauncher.start(cpp("branching", 4), workers)) {
                Model m = sims.model(30_000);
                assertSameBranching(branchingRmh,
                        Inference.metropolisHastings(m).chains(8).observe("obs", 6).traces(1600).threads(4 * workers).seed(3).run());
                assertSameBranching(branchingSmc, SMC.apply(m).observe("obs", 6).traces(500).threads(4 * workers).seed(3).run());
                assertTrue(sims.server().peakRunsPerSimulator() > 1, "runs at once on one simulator: " + sims.server().peakRunsPerSimulator());
            }
        }
    }

    /** The same with Python simulators, whose lanes are threads of one interpreter. */
    @Test
    void pythonSimulatorsServingSeveralRunsGiveTheSamePosteriorsAtOneAndTwoSimulators() throws Exception {
        Posterior gaussianRmh = twin(Inference.metropolisHastings(builtin("gaussian")).chains(8).traces(800));
        Posterior branchingSmc = SMC.apply(builtin("branching")).observe("obs", 6).traces(300).seed(3).run();
        for (int workers = 1; workers <= 2; workers++) {
            try (SimulatorLauncher sims = SimulatorLauncher.start(python("gaussian", 4), workers)) {
                assertSamePosterior(gaussianRmh, twin(Inference.metropolisHastings(sims.model(30_000)).chains(8).traces(800).threads(4 * workers)));
                assertTrue(sims.server().peakRunsPerSimulator() > 1, "runs at once on one simulator: " + sims.server().peakRunsPerSimulator());
            }
            try (SimulatorLauncher sims = SimulatorLauncher.start(python("branching", 4), workers)) {
                assertSameBranching(branchingSmc, SMC.apply(sims.model(30_000)).observe("obs", 6).traces(300).threads(4 * workers).seed(3).run());
            }
        }
    }

    /**
     * Two copies of the faulty simulator serving 4 runs at once, the first of which dies
     * ({@code die}) with its other runs in flight: each lost run is run again on the survivor, and
     * the rmh posterior is the Java twin's.
     */
    private static void survivesADeathWithRunsInFlight(String simulator, String die) throws Exception {
        Path flag = Files.createTempFile("probe-fault", "");
        Files.delete(flag);
        String command = "if mkdir " + flag + " 2>/dev/null; then exec " + simulator + " " + die + " --concurrent-runs 4; else exec "
                + simulator + " --concurrent-runs 4; fi";
        try (SimulatorLauncher sims = SimulatorLauncher.start(command, 2)) {
            Posterior p = twin(Inference.metropolisHastings(sims.model(30_000)).chains(8).traces(800).threads(8));
            assertSamePosterior(twin(Inference.metropolisHastings(builtin("gaussian")).chains(8).traces(800)), p);
            assertEquals(1, sims.server().live());
            assertTrue(sims.server().peakRunsPerSimulator() > 1, "runs at once on one simulator: " + sims.server().peakRunsPerSimulator());
        } finally {
            Files.deleteIfExists(flag);
        }
    }

    @Test
    void aKilledCppSimulatorsRunsInFlightAreRetriedWithAnUnchangedPosterior() throws Exception {
        survivesADeathWithRunsInFlight(SimulatorBridgeTest.BUILD.resolve("faulty").toString(), "die-after 60");
    }

    @Test
    void aKilledPythonSimulatorsRunsInFlightAreRetriedWithAnUnchangedPosterior() throws Exception {
        survivesADeathWithRunsInFlight(PythonSimulatorTest.testSim("faulty.py"), "die-after 60");
    }

    /**
     * A simulator that serves one run at a time (no capability: as every client before it) beside one
     * that serves 4: 5 runs at once in all, and the smc and rmh posteriors are the Java twin's.
     */
    @Test
    void aSimulatorServingOneRunAtATimeWorksBesideOneServingSeveral() throws Exception {
        Path flag = Files.createTempFile("probe-mixed", "");
        Files.delete(flag);
        String gaussian = SimulatorBridgeTest.BUILD.resolve("gaussian").toString();
        String command = "if mkdir " + flag + " 2>/dev/null; then exec " + gaussian + "; else exec " + gaussian + " --concurrent-runs 4; fi";
        try (SimulatorLauncher sims = SimulatorLauncher.start(command, 2)) {
            Model m = sims.model(30_000);
            assertEquals(5, m.maxConcurrentRuns());
            assertSamePosterior(twin(SMC.apply(builtin("gaussian")).traces(500)), twin(SMC.apply(m).traces(500).threads(5)));
            assertSamePosterior(twin(Inference.metropolisHastings(builtin("gaussian")).chains(8).traces(800)),
                    twin(Inference.metropolisHastings(m).chains(8).traces(800).threads(5)));
            assertEquals(2, sims.server().live());
        } finally {
            Files.deleteIfExists(flag);
        }
    }
}
