package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.probe.bridge.SimulatorLauncher;
import dev.probe.models.Builtins;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Real C++ simulator processes, built with CMake against the client library, attached over a real
 * gRPC channel on loopback and driven by the engines.
 */
class SimulatorBridgeTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path BUILD = Path.of("target", "cpp").toAbsolutePath();

    @BeforeAll
    static void buildSimulators() throws IOException, InterruptedException {
        run(List.of("cmake", "-S", ROOT.resolve("models/cpp").toString(), "-B", BUILD.toString(), "-DCMAKE_BUILD_TYPE=Release"));
        run(List.of("cmake", "--build", BUILD.toString(), "-j", "2"));
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Processes.Finished p = Processes.run(new ProcessBuilder(cmd), 600);
        assertEquals(0, p.code(), cmd + " failed:\n" + p.output());
    }

    /** A network trained for {@code model} on its own runs (seed 1, a small LSTM). */
    static dev.probe.proposals.Artifact compile(Model model, String label, long traces, int validation, int threads,
            int hidden) {
        dev.probe.compiler.TrainingOptions o = new dev.probe.compiler.TrainingOptions(traces, 64, 1e-3, validation, 1, threads,
                ai.djl.Device.cpu(), 0, null, dev.probe.proposals.ProposalNetwork.Config.defaults().withHidden(hidden),
                java.util.Map.of());
        return dev.probe.compiler.Trainer.train(dev.probe.compiler.RunSource.online(model, label, 1, threads, 64), o,
                dev.probe.compiler.Trainer.Listener.NONE);
    }

    private static String sim(String name) {
        return BUILD.resolve(name).toString();
    }

    static Posterior twin(Inference inference) {
        return inference.observe("obs0", 8.0).observe("obs1", 9.0).seed(5).run();
    }

    static void assertSamePosterior(Posterior expected, Posterior actual) {
        assertArrayEquals(expected.logWeights(), actual.logWeights());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.value("mu", i), actual.value("mu", i), "run " + i);
        }
    }

    @Test
    void theCppGaussianGivesItsJavaTwinsPosteriorUnderEveryEngine() throws Exception {
        Model java = Builtins.find("gaussian").orElseThrow().create();
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("gaussian"), 2)) {
            Model cpp = sims.model(30_000);
            assertSamePosterior(twin(Inference.importanceSampling(java).traces(3000)),
                    twin(Inference.importanceSampling(cpp).traces(3000).threads(2)));
            assertSamePosterior(twin(Inference.metropolisHastings(java).traces(2000)),
                    twin(Inference.metropolisHastings(cpp).traces(2000).threads(2)));
            // And the exact answer, N(7.25, 0.9129), within 5 standard errors.
            Posterior p = twin(Inference.importanceSampling(cpp).traces(20_000).threads(2));
            assertEquals(7.25, p.marginal("mu").mean(), 5 * 0.9129 / Math.sqrt(p.ess()));
        }
    }

    /**
     * SMC stops each particle's run at its next observation and continues it later by replay. Over
     * the bridge the runtime ends each stopped run with a Cancel and keeps the connection: the C++
     * twins give their Java twins' SMC posteriors bit for bit (the Java models meet the exact
     * posteriors in SequentialMonteCarloTest), no simulator is lost or attached again, and the
     * same connections then serve importance sampling with nothing left over from the cancelled
     * runs. The gaussian's observations are pipelined (the simulator does not wait at them), so
     * its cancelled runs also leave messages that the runtime must read and drop.
     */
    @Test
    void smcStopsSimulatorRunsWithCancelAndKeepsTheirConnections() throws Exception {
        Model gaussian = Builtins.find("gaussian").orElseThrow().create();
        Model branching = Builtins.find("branching").orElseThrow().create();
        java.util.function.Function<Model, Inference> smc = m -> Inference.with(
                new dev.probe.engines.smc.SequentialMonteCarlo(dev.probe.engines.smc.SequentialMonteCarlo.Options.DEFAULT), m);
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("gaussian"), 2)) {
            Model cpp = sims.model(30_000);
            assertSamePosterior(twin(smc.apply(gaussian).traces(500)), twin(smc.apply(cpp).traces(500).threads(2)));
            assertEquals(2, sims.server().live(), "simulators still connected");
            assertEquals(2, sims.server().attachedCount(), "simulators attached");
            assertSamePosterior(twin(Inference.importanceSampling(gaussian).traces(1000)),
                    twin(Inference.importanceSampling(cpp).traces(1000).threads(2)));
        }
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("branching"), 2)) {
            Posterior cpp = smc.apply(sims.model(30_000)).observe("obs", 6).traces(2000).threads(2).seed(3).run();
            Posterior j = smc.apply(branching).observe("obs", 6).traces(2000).seed(3).run();
            assertArrayEquals(j.logWeights(), cpp.logWeights());
            for (int i = 0; i < j.size(); i++) {
                assertEquals(j.value("r", i), cpp.value("r", i), "particle " + i);
            }
            assertEquals(2, sims.server().live(), "simulators still connected");
            assertEquals(2, sims.server().attachedCount(), "simulators attached");
        }
    }

    @Test
    void underPriorSamplingTheSimulatorsObservationsAreSimulated() throws Exception {
        // No observation is given, so each one is a round trip that the runtime answers with a draw.
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("gaussian"), 2)) {
            Posterior p = Inference.prior(sims.model(30_000)).traces(4000).threads(2).seed(9).run();
            Posterior java = Inference.prior(Builtins.find("gaussian").orElseThrow().create()).traces(4000).seed(9).run();
            for (int i = 0; i < p.size(); i += 7) {
                assertEquals(java.value("obs1", i), p.value("obs1", i), "run " + i);
            }
            // obs0 ~ N(1, sqrt(5 + 2)) a priori: 5 standard errors of the mean of 4000 draws.
            assertEquals(1, p.marginal("obs0").mean(), 5 * Math.sqrt(7.0 / 4000));
        }
    }

    @Test
    void theCppBranchingModelMatchesItsTwinAndTheExactPosterior() throws Exception {
        Model java = Builtins.find("branching").orElseThrow().create();
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("branching"), 2)) {
            Posterior cpp = Inference.importanceSampling(sims.model(30_000)).observe("obs", 6).traces(20_000).threads(2).seed(3).run();
            Posterior j = Inference.importanceSampling(java).observe("obs", 6).traces(20_000).seed(3).run();
            assertArrayEquals(j.logWeights(), cpp.logWeights());
            EnginesMatchExactPosteriorsTest.assertPmf(cpp, "r", Arrays.copyOf(Exact.branchingPosterior(6), 12));
        }
    }

    /**
     * probe::rejection marks the C++ polar method's loop: under one seed the C++ twin draws the
     * Java model's values and gets its weights under every engine, ic included (its extra iterations and prior-only
     * trials go over the wire); the Java model meets the exact posterior under each engine in
     * EnginesMatchExactPosteriorsTest.
     */
    @Test
    void aMarkedRejectionLoopInCppMatchesItsJavaTwinUnderEveryEngine() throws Exception {
        Model twin = Builtins.find("polar").orElseThrow().create();
        dev.probe.proposals.Artifact net = compile(twin, "polar", 4000, 128, 2, 64);
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("polar"), 2)) {
            Model cpp = sims.model(30_000);
            java.util.function.Function<Model, Inference> ic = m -> Inference.importanceSampling(m)
                    .proposal(new dev.probe.proposals.NetworkProposal(net.network(), 0, 1)).traces(2000);
            java.util.List<java.util.function.Function<Model, Inference>> engines = List.of(
                    m -> Inference.importanceSampling(m).traces(3000), m -> Inference.metropolisHastings(m).traces(2000), ic);
            for (java.util.function.Function<Model, Inference> engine : engines) {
                Posterior j = engine.apply(twin).observe("obs0", 8.0).observe("obs1", 9.0).seed(6).run();
                Posterior c = engine.apply(cpp).observe("obs0", 8.0).observe("obs1", 9.0).threads(2).seed(6).run();
                // The runtime draws every value: the same in both. mu goes through each language's own
                // log, which may differ in the last bit, so weights agree to rounding.
                assertEquals(j.names(), c.names());
                for (String key : j.names()) {
                    for (int i = 0; i < j.size() && !key.equals("mu"); i++) {
                        assertEquals(j.value(key, i), c.value(key, i), key + " of run " + i);
                    }
                }
                assertArrayEquals(j.logWeights(), c.logWeights(), 1e-9);
            }
        } finally {
            net.network().close();
        }
    }

    /** The calorimeter sends its image's mean as an 8 x 8 tensor: the compiler gives it a CNN unasked. */
    @Test
    void aGridShapedObservationFromASimulatorIsEmbeddedByACnn() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("calorimeter"), 2)) {
            Model cpp = sims.model(30_000);
            dev.probe.proposals.Artifact net = compile(cpp, "calorimeter", 640, 64, 2, 32);
            try {
                assertArrayEquals(new int[] {8, 8}, net.network().layout().entries().get(0).shape());
                assertTrue(net.network().parameters().containsKey("obs.image0.conv1.weight"));
            } finally {
                net.network().close();
            }
        }
    }

    /**
     * Inference compilation against a C++ simulator: trained on the simulator's own runs, tied to
     * its name and version, and run with batched network steps on four simulators and two threads
     * (groups of two runs, so that every run of a group holds a simulator).
     */
    @Test
    void aNetworkTrainedOnTheCppBranchingModelGivesTheExactPosterior() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("branching"), 4)) {
            Model cpp = sims.model(30_000);
            assertTrue(cpp.identity().startsWith("simulator branching"), cpp.identity());
            dev.probe.proposals.Artifact net = compile(cpp, "branching", 4000, 128, 4, 64);
            try {
                assertEquals(cpp.identity(), net.modelIdentity());
                Posterior p = Inference.importanceSampling(cpp).proposal(new dev.probe.proposals.NetworkProposal(net.network()))
                        .observe("obs", 6).traces(10_000).threads(2).seed(4).run();
                assertEquals("0", p.info().get("fallbacks"));
                EnginesMatchExactPosteriorsTest.assertPmf(p, "r", Arrays.copyOf(Exact.branchingPosterior(6), 12));
            } finally {
                net.network().close();
            }
        }
    }

    /**
     * Runs the Gaussian on two copies of the faulty simulator, the first of which gets {@code fault},
     * and checks that the posterior is the Java twin's all the same: no run lost or counted twice.
     */
    private static void survivesAFaultyCopy(String fault, long deadlineMillis, int traces) throws Exception {
        Path flag = Files.createTempFile("probe-fault", "");
        Files.delete(flag);
        String command = "if mkdir " + flag + " 2>/dev/null; then exec " + sim("faulty") + " " + fault + "; else exec "
                + sim("faulty") + "; fi";
        Model java = Builtins.find("gaussian").orElseThrow().create();
        try (SimulatorLauncher sims = SimulatorLauncher.start(command, 2)) {
            Posterior p = twin(Inference.importanceSampling(sims.model(deadlineMillis)).traces(traces).threads(2));
            assertSamePosterior(twin(Inference.importanceSampling(java).traces(traces)), p);
            assertEquals(1, sims.server().live());
        } finally {
            Files.deleteIfExists(flag);
        }
    }

    @Test
    void aSimulatorKilledMidRunLosesNoRunAndCountsNoneTwice() throws Exception {
        survivesAFaultyCopy("die-after 40", 30_000, 2000);
    }

    @Test
    void aStalledSimulatorMissesItsDeadlineAndItsRunMovesOn() throws Exception {
        survivesAFaultyCopy("stall-after 25", 1_000, 1000);
    }

    @Test
    void protocolViolationsAndSimulatorErrorsAreNamed() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("faulty") + " garbage", 1)) {
            SimulatorException e = assertThrows(SimulatorException.class,
                    () -> twin(Inference.importanceSampling(sims.model(30_000)).traces(10).threads(1)));
            assertTrue(e.getMessage().contains("broke the bridge protocol in run 1: unknown distribution 'Garbage'"), e.getMessage());
        }
        try (SimulatorLauncher sims = SimulatorLauncher.start(sim("faulty") + " throw", 1)) {
            SimulatorException e = assertThrows(SimulatorException.class,
                    () -> twin(Inference.importanceSampling(sims.model(30_000)).traces(10).threads(1)));
            assertTrue(e.getMessage().contains("reported an error in run 1: the detector geometry file is missing"), e.getMessage());
        }
    }

    @Test
    void aWrongProtocolVersionIsTurnedAwayWithTheReason() {
        SimulatorException e = assertThrows(SimulatorException.class,
                () -> SimulatorLauncher.start("PROBE_BRIDGE_PROTOCOL_VERSION=99 " + sim("gaussian"), 1).close());
        assertTrue(e.getMessage().contains("speaks bridge protocol version 99; this runtime speaks version 2"), e.getMessage());
        // A simulator built against the older client library (version 1, before self-draw) likewise.
        SimulatorException old = assertThrows(SimulatorException.class,
                () -> SimulatorLauncher.start("PROBE_BRIDGE_PROTOCOL_VERSION=1 " + sim("gaussian"), 1).close());
        assertTrue(old.getMessage().contains("speaks bridge protocol version 1; this runtime speaks version 2"), old.getMessage());
    }

    @Test
    void simulatorsStartedByHandAttachToAWaitingCommand() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        // Simulators started by hand present the inference's token, shared here through a file.
        String token = "hand-started-simulators-" + port;
        Path tokenFile = Files.createTempFile("probe-token", "");
        Files.writeString(tokenFile, token);
        Path probeOut = Files.createTempFile("probe-out", ".json");
        Process probe = new ProcessBuilder(ROOT.resolve("probe").toString(), "infer", "--attach", "127.0.0.1:" + port, "--workers", "2",
                "--token-file", tokenFile.toString(), "--attach-timeout", "120",
                "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "2000", "--seed", "1", "--json", "--quiet")
                .directory(ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(probeOut.toFile()).start();
        // Started before the command listens, the simulators wait for it (PROBE_CONNECT_TIMEOUT).
        List<Process> sims = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ProcessBuilder pb = new ProcessBuilder(sim("gaussian")).redirectErrorStream(true);
            pb.environment().put("PROBE_ADDRESS", "127.0.0.1:" + port);
            pb.environment().put("PROBE_BRIDGE_TOKEN", token);
            sims.add(pb.start());
        }
        Processes.Finished ran = Processes.await(probe, probeOut, 60, "probe infer --attach");
        assertEquals(0, ran.code(), ran.output());
        for (Process p : sims) {
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "a simulator did not exit when the runtime was done");
            assertEquals(0, p.exitValue());
        }
        Files.delete(tokenFile);
        JsonNode j = new ObjectMapper().readTree(ran.output());
        assertEquals(7.25, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
    }

    /** Waits until {@code probe} listens on {@code port} (it starts in seconds; under load, more). */
    static void awaitListening(int port, Process probe) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException notYet) {
                if (!probe.isAlive()) {
                    fail("probe exited with " + probe.exitValue() + " before listening on port " + port);
                }
                Thread.sleep(100);
            }
        }
        fail("probe did not listen on port " + port + " within 120 s");
    }

    @Test
    void aThirdPartyCmakeProjectBuildsAgainstTheInstalledLibrary() throws Exception {
        Path prefix = Path.of("target", "probe-install").toAbsolutePath();
        Path clientBuild = Path.of("target", "client-build").toAbsolutePath();
        run(List.of("cmake", "-S", ROOT.resolve("bridges/cpp").toString(), "-B", clientBuild.toString(), "-DCMAKE_BUILD_TYPE=Release",
                "-DCMAKE_INSTALL_PREFIX=" + prefix));
        run(List.of("cmake", "--build", clientBuild.toString(), "-j", "2"));
        run(List.of("cmake", "--install", clientBuild.toString()));
        Path project = Files.createDirectories(Path.of("target", "thirdparty").toAbsolutePath());
        Files.writeString(project.resolve("CMakeLists.txt"), String.join("\n",
                "cmake_minimum_required(VERSION 3.16)",
                "project(thirdparty LANGUAGES CXX)",
                "set(CMAKE_CXX_STANDARD 20)",
                "find_package(probe 0.1 REQUIRED)",
                "add_executable(coin coin.cpp)",
                "target_link_libraries(coin PRIVATE probe::client)", ""));
        Files.writeString(project.resolve("coin.cpp"), String.join("\n",
                "#include <probe/probe.hpp>",
                "int main(int argc, char** argv) {",
                "  return probe::serve(\"coin\", \"1\", [] {",
                "    double p = probe::sample(probe::Beta(2, 2), \"p\");",
                "    for (int i = 0; i < 10; ++i) probe::observe(probe::Bernoulli(p), \"flip\");",
                "    return probe::Value(p);",
                "  }, argc, argv);",
                "}", ""));
        Path build = project.resolve("build");
        run(List.of("cmake", "-S", project.toString(), "-B", build.toString(), "-DCMAKE_PREFIX_PATH=" + prefix));
        run(List.of("cmake", "--build", build.toString()));
        try (SimulatorLauncher sims = SimulatorLauncher.start(build.resolve("coin").toString(), 1)) {
            List<Integer> flips = List.of(1, 1, 0, 1, 1, 1, 0, 1, 1, 0);
            Posterior p = Inference.importanceSampling(sims.model(30_000)).observe("flip", flips).traces(5000).threads(1).seed(2).run();
            Exact.Moments exact = Exact.betaBernoulli(2, 2, flips);
            // 5 standard errors at the run's ESS.
            assertEquals(exact.mean(), p.marginal("p").mean(), 5 * exact.stddev() / Math.sqrt(p.ess()));
        }
    }

    @Test
    void theCommandRunsSimulatorsAndExitsWithFourWhenTheyFail() throws Exception {
        ProbeCommandEndToEndTest.Run ok = ProbeCommandEndToEndTest.probe("infer", "--simulator", sim("gaussian"), "--workers", "2",
                "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "5000", "--seed", "1", "--json", "--quiet");
        assertEquals(0, ok.code(), ok.err());
        JsonNode j = new ObjectMapper().readTree(ok.out());
        assertEquals(7.25, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
        ProbeCommandEndToEndTest.Run bad = ProbeCommandEndToEndTest.probe("infer", "--simulator", sim("faulty") + " garbage",
                "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "10", "--seed", "1", "--quiet");
        assertEquals(4, bad.code(), bad.err());
        assertTrue(bad.err().contains("unknown distribution 'Garbage'"), bad.err());
        ProbeCommandEndToEndTest.Run none = ProbeCommandEndToEndTest.probe("infer", "--simulator", "false", "--quiet");
        assertEquals(4, none.code(), none.err());
        assertTrue(none.err().contains("did not attach"), none.err());
    }
}
