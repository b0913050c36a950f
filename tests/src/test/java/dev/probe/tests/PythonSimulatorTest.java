package dev.probe.tests;

import static dev.probe.tests.SimulatorBridgeTest.assertSamePosterior;
import static dev.probe.tests.SimulatorBridgeTest.twin;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.probe.bridge.SimulatorLauncher;
import dev.probe.models.Builtins;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.distribution.Bernoulli;
import dev.probe.runtime.distribution.BernoulliArray;
import dev.probe.runtime.distribution.Beta;
import dev.probe.runtime.distribution.Binomial;
import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Dirichlet;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.DistributionKind;
import dev.probe.runtime.distribution.Exponential;
import dev.probe.runtime.distribution.Gamma;
import dev.probe.runtime.distribution.LogNormal;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.MultivariateNormal;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.NormalArray;
import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.distribution.PoissonArray;
import dev.probe.runtime.distribution.TruncatedNormal;
import dev.probe.runtime.distribution.Uniform;
import dev.probe.runtime.distribution.UniformArray;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Real Python simulator processes (Debian's python3 with python3-grpcio, python3-protobuf and
 * python3-numpy) using the client library in bridges/python from the checkout, attached over gRPC on
 * loopback and driven by the engines: the twins of the Java models give their posteriors, every
 * distribution and numpy arrays of each dtype travel intact, and failures end as for C++.
 */
class PythonSimulatorTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** Debian's interpreter, which has the packages; PROBE_TEST_PYTHON names another. */
    static final String PYTHON = Objects.requireNonNullElse(System.getenv("PROBE_TEST_PYTHON"), "/usr/bin/python3");

    @BeforeAll
    static void theClientImports() throws IOException, InterruptedException {
        // Importing the client generates its stubs from bridge.proto in a fresh checkout.
        String out = python("import probe; print(' '.join(probe.KINDS))");
        assertTrue(out.contains("Normal"), out);
    }

    /** Runs a Python snippet with the checkout's client on the path; its standard output. */
    static String python(String code) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-c", code);
        pb.environment().put("PYTHONPATH", ROOT.resolve("bridges/python").toString());
        Processes.Finished p = Processes.run(pb, 120);
        assertEquals(0, p.code(), "the Python client does not import (apt-get install python3-grpcio python3-protobuf"
                + " python3-numpy protobuf-compiler-grpc):\n" + p.output());
        return p.output().trim();
    }

    /** A command that runs a simulator of models/python (which finds the client in the checkout itself). */
    static String model(String name) {
        return PYTHON + " " + ROOT.resolve("models/python/" + name + ".py");
    }

    /** A command that runs a test simulator of tests/src/test/python with the checkout's client on the path. */
    static String testSim(String nameAndArgs) {
        return "env PYTHONPATH=" + ROOT.resolve("bridges/python") + " " + PYTHON + " " + ROOT.resolve("tests/src/test/python/" + nameAndArgs);
    }

    @Test
    void thePythonGaussianGivesItsJavaTwinsPosteriorUnderIsAndRmh() throws Exception {
        Model java = Builtins.find("gaussian").orElseThrow().create();
        try (SimulatorLauncher sims = SimulatorLauncher.start(model("gaussian"), 2)) {
            Model py = sims.model(30_000);
            assertSamePosterior(twin(Inference.importanceSampling(java).traces(2000)),
                    twin(Inference.importanceSampling(py).traces(2000).threads(2)));
            assertSamePosterior(twin(Inference.metropolisHastings(java).traces(1000)),
                    twin(Inference.metropolisHastings(py).traces(1000).threads(2)));
        }
    }

    @Test
    void thePythonBranchingModelMatchesItsTwinAndTheExactPosterior() throws Exception {
        Model java = Builtins.find("branching").orElseThrow().create();
        try (SimulatorLauncher sims = SimulatorLauncher.start(model("branching"), 2)) {
            Posterior py = Inference.importanceSampling(sims.model(30_000)).observe("obs", 6).traces(5000).threads(2).seed(3)
                    .recordAddresses(true).run();
            Posterior j = Inference.importanceSampling(java).observe("obs", 6).traces(5000).seed(3).run();
            assertArrayEquals(j.logWeights(), py.logWeights());
            EnginesMatchExactPosteriorsTest.assertPmf(py, "r", Arrays.copyOf(Exact.branchingPosterior(6), 12));
            // The unnamed draw is addressed by its Python call site: function, file, line and column.
            assertTrue(py.addresses().stream().anyMatch(a -> a.startsWith("branching@branching.py:19:30#Poisson")), py.addresses().toString());
        }
    }

    /** probe.rejection marks the polar method's loop: the Python twin draws the Java model's values. */
    @Test
    void aMarkedRejectionLoopInPythonMatchesItsJavaTwin() throws Exception {
        Model java = Builtins.find("polar").orElseThrow().create();
        try (SimulatorLauncher sims = SimulatorLauncher.start(model("polar"), 2)) {
            Model py = sims.model(30_000);
            List<java.util.function.Function<Model, Inference>> engines = List.of(m -> Inference.importanceSampling(m).traces(2000),
                    m -> Inference.metropolisHastings(m).traces(1000));
            for (java.util.function.Function<Model, Inference> engine : engines) {
                Posterior j = twin(engine.apply(java));
                Posterior p = twin(engine.apply(py).threads(2));
                assertEquals(j.names(), p.names());
                for (String key : j.names()) {
                    for (int i = 0; i < j.size() && !key.equals("mu"); i++) {
                        assertEquals(j.value(key, i), p.value(key, i), key + " of run " + i);
                    }
                }
                // mu goes through each language's own log and sqrt: weights agree to rounding.
                assertArrayEquals(j.logWeights(), p.logWeights(), 1e-9);
            }
        }
    }

    /** The Java side of tests/src/test/python/distributions.py: the same distributions, in the same order. */
    static final Model DISTRIBUTIONS = ctx -> {
        ctx.sample(Normal.of(0.5, 2), "normal");
        ctx.sample(NormalArray.of(new double[6], new double[] {1, 2, 3, 4, 5, 6}), "normals");
        ctx.sample(Uniform.of(-1, 3), "uniform");
        ctx.sample(UniformArray.of(new double[] {0, 1}, new double[] {3, 3}), "uniforms");
        ctx.sample(TruncatedNormal.of(0, 1, -0.5, 2), "truncated");
        ctx.sample(LogNormal.of(0.1, 0.5), "lognormal");
        ctx.sample(Exponential.of(2), "exponential");
        ctx.sample(Gamma.of(2, 3), "gamma");
        ctx.sample(Beta.of(2, 5), "beta");
        ctx.sample(Bernoulli.of(0.3), "bernoulli");
        ctx.sample(BernoulliArray.of(new double[] {0.5, 0.5, 0.5, 0.5}), "bernoullis");
        ctx.sample(Binomial.of(10, 0.4), "binomial");
        ctx.sample(Poisson.of(3.5), "poisson");
        ctx.sample(PoissonArray.of(new double[] {1, 2, 3}), "poissons");
        ctx.sample(Categorical.of(new double[] {0.2, 0.3, 0.5}), "categorical");
        ctx.sample(Dirichlet.of(new double[] {1, 2, 3}), "dirichlet");
        ctx.sample(MultivariateNormal.of(new double[] {0, 1}, new double[][] {{2, 0.5}, {0.5, 1}}), "mvn");
        @SuppressWarnings("unchecked")
        List<Distribution<Object>> parts = List.of((Distribution<Object>) (Distribution<?>) Normal.of(-2, 1),
                (Distribution<Object>) (Distribution<?>) Normal.of(2, 0.5));
        ctx.sample(Mixture.of(new double[] {0.3, 0.7}, parts), "mixture");
        ctx.observe(NormalArray.of(new double[6], new double[] {1, 1, 1, 1, 1, 1}), "image");
        ctx.tag(new double[] {1.5, 2.5, 3.5}, "f32");
        ctx.tag(new long[] {0, 1, 2, 3}, "i64");
        ctx.tag(new boolean[] {true, false}, "flags");
        ctx.sample(Normal.of(0, 1));
        return 0.25;
    };

    /**
     * Every distribution goes over the wire and back: the Python simulator's draws equal the Java
     * model's under one seed (so each kind's parameters arrived intact), the values come back in
     * the parameters' shape and dtype (checked in Python), and tagged numpy arrays of float32, int32
     * and bool arrive with their values.
     */
    @Test
    void everyDistributionAndNumpyArraysRoundTrip() throws Exception {
        double[] image = {0.5, -1, 2, 0, 1, 1.5};
        try (SimulatorLauncher sims = SimulatorLauncher.start(testSim("distributions.py"), 2)) {
            Model py = sims.model(30_000);
            Posterior p = Inference.importanceSampling(py).observe("image", image).traces(200).threads(2).seed(8).run();
            Posterior j = Inference.importanceSampling(DISTRIBUTIONS).observe("image", image).traces(200).seed(8).run();
            assertArrayEquals(j.logWeights(), p.logWeights());
            assertEquals(new TreeSet<>(j.names()), new TreeSet<>(p.names()));
            for (String key : j.names()) {
                for (int i = 0; i < j.size(); i++) {
                    assertTrue(Objects.deepEquals(j.value(key, i), p.value(key, i)), key + " of run " + i + ": "
                            + dev.probe.runtime.distribution.Values.format(j.value(key, i)) + " in Java, "
                            + dev.probe.runtime.distribution.Values.format(p.value(key, i)) + " from Python");
                }
            }
            assertEquals(0.25, p.resultValue(0));
            // The 2 x 3 grid of the observation's mean is kept for the networks of inference compilation.
            assertArrayEquals(new int[] {2, 3}, py.observationShape("image"));
        }
    }

    /**
     * The client's distributions are the runtime's registry ({@link DistributionKind}): probe.KINDS
     * lists every kind in the registry's order, and each kind's constructor takes the registry's
     * parameters by the same names in the same order. A kind added to the registry and missed in
     * the Python client fails here; the round trip above draws each kind.
     */
    @Test
    void theClientsDistributionsAreTheRegistrys() throws Exception {
        List<String> registry = new ArrayList<>();
        for (DistributionKind k : DistributionKind.values()) {
            registry.add(k.label() + "(" + k.parameters().stream().map(DistributionKind.Parameter::name)
                    .collect(Collectors.joining(", ")) + ")");
        }
        String client = python("import inspect, probe\n"
                + "for k in probe.KINDS:\n"
                + "    print(k + '(' + ', '.join(inspect.signature(getattr(probe, k)).parameters) + ')')");
        assertEquals(registry, List.of(client.split("\n")));
    }

    /** A kind the runtime lacks ends the inference as a protocol error naming the registry's kinds. */
    @Test
    void anUnknownKindFromPythonNamesTheRuntimesKinds() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(testSim("faulty.py garbage"), 1)) {
            SimulatorException e = assertThrows(SimulatorException.class,
                    () -> twin(Inference.importanceSampling(sims.model(30_000)).traces(10).threads(1)));
            assertTrue(e.getMessage().contains("broke the bridge protocol in run 1: unknown distribution 'Garbage'; the runtime has "
                    + DistributionKind.labels()), e.getMessage());
        }
    }

    /** A Python exception ends the inference with exit code 4, naming it; the simulator prints its traceback. */
    @Test
    void aPythonExceptionIsReportedWithExitCodeFour() throws Exception {
        ProbeCommandEndToEndTest.Run bad = ProbeCommandEndToEndTest.probe("infer", "--simulator", testSim("faulty.py throw"),
                "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "10", "--seed", "1", "--quiet");
        assertEquals(4, bad.code(), bad.err());
        assertTrue(bad.err().contains("reported an error in run 1: RuntimeError: the detector geometry file is missing"), bad.err());
        assertTrue(bad.err().contains("Traceback"), bad.err());
    }

    /** Two copies of the Python simulator, the first killed (SIGKILL) in its 30th run: the posterior is the Java twin's. */
    @Test
    void aKilledPythonSimulatorsRunsAreRetriedWithAnUnchangedPosterior() throws Exception {
        Path flag = Files.createTempFile("probe-fault", "");
        Files.delete(flag);
        String command = "if mkdir " + flag + " 2>/dev/null; then exec " + testSim("faulty.py die-after 30") + "; else exec "
                + testSim("faulty.py") + "; fi";
        try (SimulatorLauncher sims = SimulatorLauncher.start(command, 2)) {
            Posterior p = twin(Inference.importanceSampling(sims.model(30_000)).traces(1000).threads(2));
            Model java = Builtins.find("gaussian").orElseThrow().create();
            assertSamePosterior(twin(Inference.importanceSampling(java).traces(1000)), p);
            assertEquals(1, sims.server().live());
        } finally {
            Files.deleteIfExists(flag);
        }
    }

    /** pip install bridges/python (into a virtual environment over Debian's packages) gives a client that serves outside the checkout. */
    @Test
    void pipInstallsTheClient() throws Exception {
        Path venv = Path.of("target", "python-venv").toAbsolutePath();
        run(List.of(PYTHON, "-m", "venv", "--system-site-packages", "--clear", venv.toString()));
        run(List.of(venv.resolve("bin/pip").toString(), "install", "--quiet", "--no-build-isolation", ROOT.resolve("bridges/python").toString()));
        String command = venv.resolve("bin/python") + " " + ROOT.resolve("tests/src/test/python/faulty.py");
        try (SimulatorLauncher sims = SimulatorLauncher.start(command, 1)) {
            Model java = Builtins.find("gaussian").orElseThrow().create();
            assertSamePosterior(twin(Inference.importanceSampling(java).traces(300)),
                    twin(Inference.importanceSampling(sims.model(30_000)).traces(300).threads(1)));
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Processes.Finished p = Processes.run(new ProcessBuilder(cmd), 300);
        assertEquals(0, p.code(), cmd + " failed:\n" + p.output());
    }

    /** The command of docs/bridge.md: two Python simulators give the exact posterior N(7.25, 0.913). */
    @Test
    void theCommandRunsPythonSimulators() throws Exception {
        ProbeCommandEndToEndTest.Run ok = ProbeCommandEndToEndTest.probe("infer", "--simulator", model("gaussian"), "--workers", "2",
                "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "5000", "--seed", "1", "--json", "--quiet");
        assertEquals(0, ok.code(), ok.err());
        JsonNode j = new ObjectMapper().readTree(ok.out());
        // 5 standard errors of the posterior mean at the run's ESS.
        assertEquals(7.25, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
    }

    @Test
    void aPythonSimulatorAttachesOverTlsAndAPlainOneIsTurnedAway() throws Exception {
        Path dir = Files.createTempDirectory("probe-tls");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Processes.Finished ssl = Processes.run(new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.toString(), "-out",
                cert.toString()), 30);
        assertEquals(0, ssl.code(), "openssl could not make a test certificate:\n" + ssl.output());
        String token = "python-over-tls-0123456789";
        Files.writeString(dir.resolve("token"), token);
        Path probeOut = dir.resolve("probe-out.json");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process probe = new ProcessBuilder(ROOT.resolve("probe").toString(), "infer", "--attach", "127.0.0.1:" + port, "--workers", "1",
                "--token-file", dir.resolve("token").toString(), "--tls-cert", cert.toString(), "--tls-key", key.toString(),
                "--attach-timeout", "120", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "2000", "--seed", "1", "--json",
                "--quiet").directory(ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(probeOut.toFile()).start();
        SimulatorBridgeTest.awaitListening(port, probe);
        // Without the CA the client speaks plain HTTP/2 to a TLS server: it cannot attach, and says so
        // once its patience (PROBE_CONNECT_TIMEOUT, shortened here) runs out.
        ProcessBuilder plain = new ProcessBuilder(PYTHON, ROOT.resolve("models/python/gaussian.py").toString()).redirectErrorStream(true);
        plain.environment().put("PROBE_ADDRESS", "127.0.0.1:" + port);
        plain.environment().put("PROBE_BRIDGE_TOKEN", token);
        plain.environment().put("PROBE_CONNECT_TIMEOUT", "5");
        Processes.Finished p = Processes.run(plain, 60);
        assertEquals(3, p.code(), p.output());
        assertTrue(p.output().contains("cannot reach the Probe runtime"), p.output());
        ProcessBuilder tls = new ProcessBuilder(PYTHON, ROOT.resolve("models/python/gaussian.py").toString()).redirectErrorStream(true);
        tls.environment().putAll(plain.environment());
        tls.environment().put("PROBE_BRIDGE_TLS_CA", cert.toString());
        tls.environment().remove("PROBE_CONNECT_TIMEOUT");
        Path simOut = dir.resolve("sim-out.txt");
        Process sim = tls.redirectOutput(simOut.toFile()).start();
        Processes.Finished ran = Processes.await(probe, probeOut, 60, "probe infer --attach");
        assertEquals(0, ran.code(), ran.output());
        Processes.Finished served = Processes.await(sim, simOut, 10, "the Python simulator over TLS");
        assertEquals(0, served.code(), served.output());
        JsonNode j = new ObjectMapper().readTree(ran.output());
        // 5 standard errors of the posterior mean at the run's ESS.
        assertEquals(7.25, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
    }
}
