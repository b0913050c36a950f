package dev.probe.tests;

import static dev.probe.tests.SimulatorBridgeTest.assertSamePosterior;
import static dev.probe.tests.SimulatorBridgeTest.twin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.probe.bridge.ppx.PpxModel;
import dev.probe.models.Builtins;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Simulators speaking pyprob's PPX protocol (flatbuffers over ZeroMQ), driven unmodified through
 * Probe's PPX adapter: a PPX simulator of our own in Python (tests/src/test/python/ppx_simulator.py,
 * with python3-zmq and python3-flatbuffers, its message classes generated here by flatc from the
 * adapter's schema) gives the exact posteriors and its Java twin's values, and PPX's missing
 * deadlines and errors are covered on Probe's side.
 */
class PpxSimulatorTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path SCHEMA = ROOT.resolve("bridges/src/main/flatbuffers/ppx.fbs");
    private static final Path PYTHON_CLASSES = Path.of("target", "ppx-python").toAbsolutePath();

    @BeforeAll
    static void generateThePythonMessageClasses() throws IOException, InterruptedException {
        run(List.of("flatc", "--python", "-o", PYTHON_CLASSES.toString(), SCHEMA.toString()));
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Processes.Finished p = Processes.run(new ProcessBuilder(cmd), 120);
        assertEquals(0, p.code(), cmd + " failed (flatc is Debian's flatbuffers-compiler):\n" + p.output());
    }

    /** The test simulator's command, without the address Probe appends. */
    private static String sim(String mode) {
        return "env PYTHONPATH=" + PYTHON_CLASSES + " " + PythonSimulatorTest.PYTHON + " "
                + ROOT.resolve("tests/src/test/python/ppx_simulator.py") + " " + mode;
    }

    /** The Java classes committed with the schema are what flatc makes of it. */
    @Test
    void theCommittedMessageClassesAreTheSchemasOwn() throws Exception {
        Path out = Files.createTempDirectory("ppx-java");
        run(List.of("flatc", "--java", "-o", out.toString(), SCHEMA.toString()));
        Path generated = out.resolve("dev/probe/bridge/ppx/wire");
        Path committed = ROOT.resolve("bridges/src/main/java/dev/probe/bridge/ppx/wire");
        List<String> names;
        try (Stream<Path> files = Files.list(generated)) {
            names = files.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList());
        }
        try (Stream<Path> files = Files.list(committed)) {
            assertEquals(names, files.map(f -> f.getFileName().toString()).sorted().collect(Collectors.toList()));
        }
        for (String name : names) {
            assertEquals(Files.readString(generated.resolve(name)), Files.readString(committed.resolve(name)),
                    name + " differs from flatc's output: regenerate it (see ppx.fbs)");
        }
    }

    /**
     * The PPX Gaussian: the runtime decides every value, so under one seed it gives its Java twin's
     * runs and weights under is and rmh, and the exact posterior N(7.25, 0.913) within 5 standard
     * errors of the run's own moments and ESS.
     */
    @Test
    void aPpxGaussianGivesTheExactPosteriorUnderIsAndRmh() throws Exception {
        Model java = Builtins.find("gaussian").orElseThrow().create();
        try (PpxModel ppx = PpxModel.launch(sim("gaussian"), 2, 30_000, 60_000)) {
            assertEquals("ppx gaussian", ppx.identity());
            assertSamePosterior(twin(Inference.importanceSampling(java).traces(1000)),
                    twin(Inference.importanceSampling(ppx).traces(1000).threads(2)));
            assertSamePosterior(twin(Inference.metropolisHastings(java).traces(1000)),
                    twin(Inference.metropolisHastings(ppx).traces(1000).threads(2)));
            // SMC stops runs at observations; PPX cannot cancel, so each is answered to its end and the
            // simulator kept: the twin's particles bit for bit, and no simulator lost.
            java.util.function.Function<Model, Inference> smc = m -> Inference.with(
                    new dev.probe.engines.smc.SequentialMonteCarlo(dev.probe.engines.smc.SequentialMonteCarlo.Options.DEFAULT), m);
            assertSamePosterior(twin(smc.apply(java).traces(300)), twin(smc.apply(ppx).traces(300).threads(2)));
            Exact.Moments exact = Exact.normalMean(1, Math.sqrt(5), Math.sqrt(2), 8, 9);
            EnginesMatchExactPosteriorsTest.assertMoments(twin(Inference.importanceSampling(ppx).traces(15_000).threads(2)), "mu",
                    exact.mean(), exact.stddev());
            EnginesMatchExactPosteriorsTest.assertMoments(twin(Inference.metropolisHastings(ppx).traces(6000).threads(2)), "mu",
                    exact.mean(), exact.stddev());
        }
    }

    /**
     * Inference compilation through the PPX adapter: a network trained on the Gaussian's Java twin
     * (16,000 runs, in process) proposes every value of importance sampling over PPX, each sent to
     * the PPX simulator. No choice falls back to the prior, and the posterior is the exact
     * N(7.25, 0.913) within 5 standard errors of the run's own moments and ESS (assertMoments).
     */
    @Test
    void inferenceCompilationRunsThroughThePpxAdapter() throws Exception {
        Model java = Builtins.find("gaussian").orElseThrow().create();
        dev.probe.proposals.Artifact net = SimulatorBridgeTest.compile(java, "gaussian", 16_000, 256, 2, 64);
        try (PpxModel ppx = PpxModel.launch(sim("gaussian"), 2, 30_000, 60_000)) {
            Posterior ic = twin(Inference.importanceSampling(ppx).proposal(new dev.probe.proposals.NetworkProposal(net.network()))
                    .traces(4000).threads(2));
            assertEquals("0", ic.info().get("fallbacks"));
            Exact.Moments exact = Exact.normalMean(1, Math.sqrt(5), Math.sqrt(2), 8, 9);
            EnginesMatchExactPosteriorsTest.assertMoments(ic, "mu", exact.mean(), exact.stddev());
        } finally {
            net.network().close();
        }
    }

    /** The PPX branching model (an unnamed sample addressed by its PPX address, a tag) against the exact pmf of r. */
    @Test
    void aPpxBranchingModelGivesTheExactPosteriorUnderIsAndRmh() throws Exception {
        double[] exact = Arrays.copyOf(Exact.branchingPosterior(6), 12);
        try (PpxModel ppx = PpxModel.launch(sim("branching"), 2, 30_000, 60_000)) {
            Posterior is = Inference.importanceSampling(ppx).observe("obs", 6).traces(6000).threads(2).seed(3).recordAddresses(true).run();
            Posterior java = Inference.importanceSampling(Builtins.find("branching").orElseThrow().create()).observe("obs", 6).traces(6000)
                    .seed(3).run();
            assertArrayEquals(java.logWeights(), is.logWeights());
            assertTrue(is.addresses().stream().anyMatch(a -> a.startsWith("[branching; ppx_simulator.py:poisson]#Poisson")),
                    is.addresses().toString());
            EnginesMatchExactPosteriorsTest.assertPmf(is, "r", exact);
            Posterior rmh = Inference.metropolisHastings(ppx).observe("obs", 6).traces(6000).threads(2).seed(3).run();
            EnginesMatchExactPosteriorsTest.assertPmf(rmh, "r", exact);
        }
    }

    /** PPX has no deadlines: a simulator that goes silent mid-run is an error after Probe's, exit code 4, never a hang. */
    @Test
    void aStalledPpxSimulatorExitsWithFourAfterTheDeadline() throws Exception {
        ProbeCommandEndToEndTest.Run r = ProbeCommandEndToEndTest.probe("infer", "--simulator", sim("stall-after 3"), "--protocol", "ppx",
                "--deadline", "1", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "100", "--seed", "1", "--quiet");
        assertEquals(4, r.code(), r.err());
        assertTrue(r.err().contains("sent nothing for 1.0 s (the deadline)"), r.err());
    }

    @Test
    void aGarbageReplyIsAClearError() throws Exception {
        ProbeCommandEndToEndTest.Run r = ProbeCommandEndToEndTest.probe("infer", "--simulator", sim("garbage"), "--protocol", "ppx",
                "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "10", "--seed", "1", "--quiet");
        assertEquals(4, r.code(), r.err());
        assertTrue(r.err().contains("sent a reply of 25 bytes that is not a PPX message"), r.err());
    }

    /** A PPX simulator started by hand, reached with --ppx: the command of docs/bridge.md. */
    @Test
    void theCommandDrivesAPpxSimulatorListeningAtAnAddress() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String address = "tcp://127.0.0.1:" + port;
        Process sim = new ProcessBuilder("sh", "-c", "exec " + sim("gaussian") + " " + address).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            ProbeCommandEndToEndTest.Run r = ProbeCommandEndToEndTest.probe("infer", "--ppx", address, "--observe", "obs0=8",
                    "--observe", "obs1=9", "--traces", "5000", "--seed", "1", "--json", "--quiet");
            assertEquals(0, r.code(), r.err());
            JsonNode j = new ObjectMapper().readTree(r.out());
            // 5 standard errors of the posterior mean at the run's ESS.
            assertEquals(7.25, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
        } finally {
            sim.destroyForcibly();
        }
    }
}
