package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.probe.runtime.posterior.Posterior;

/**
 * The hostile-input suite with real processes, on loopback only (docs/reliability.md): an
 * intruder without the token, garbage on the bridge port, Ctrl-C with simulators running, two
 * writers of one file, a planted link, two compiles into one directory, a network with a zero
 * standard deviation. Each case is bounded in time.
 */
@Timeout(300)
class HostileProcessesTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    @BeforeAll
    static void build() throws Exception {
        SimulatorBridgeTest.buildSimulators();
    }

    private static Process start(Path err, String... args) throws IOException {
        assertTrue(Files.isRegularFile(ROOT.resolve("cli/target/probe-cli.jar")), "run the tests with 'mvn verify' from the root");
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("probe").toString()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(false)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    }

    private static int finish(Process p, long seconds) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("probe did not finish in " + seconds + " s");
        }
        return p.exitValue();
    }

    /** Waits (10 s at most) until {@code file} has a line matching {@code pattern}; returns the match. */
    private static Matcher await(Path file, Pattern pattern) throws Exception {
        for (int i = 0; i < 1000; i++) {
            if (Files.exists(file)) {
                Matcher m = pattern.matcher(Files.readString(file));
                if (m.find()) {
                    return m;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no " + pattern + " in " + (Files.exists(file) ? Files.readString(file) : "(nothing)"));
    }

    private static int simulator(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of("target", "cpp", "gaussian").toAbsolutePath().toString());
        pb.environment().remove("PROBE_BRIDGE_TOKEN");
        pb.environment().putAll(env);
        return Processes.run(pb, 60).code();
    }

    @Test
    void anIntruderWithoutTheTokenServesNoRunAndGarbageLeavesNoStackTrace() throws Exception {
        Path err = dir.resolve("err");
        Process probe = start(err, "infer", "--attach", "127.0.0.1:0", "--workers", "1", "--attach-timeout", "120",
                "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "2000", "--seed", "1", "--quiet", "--json");
        Matcher m = await(err, Pattern.compile("PROBE_ADDRESS=(\\S+) PROBE_BRIDGE_TOKEN=(\\w+)"));
        String address = m.group(1);
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        // Garbage, an HTTP/1 request and a bad HTTP/2 preface on the port.
        for (String junk : new String[] {"\u0001\u0002garbage\u00ff", "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nnot a settings frame at all"}) {
            try (Socket s = new Socket("127.0.0.1", port); OutputStream o = s.getOutputStream()) {
                o.write(junk.getBytes(StandardCharsets.ISO_8859_1));
                o.flush();
                s.getInputStream().read(new byte[256]);
            } catch (IOException ignored) {
                // The server may close first.
            }
        }
        assertEquals(3, simulator(Map.of("PROBE_ADDRESS", address, "PROBE_BRIDGE_TOKEN", "a-stranger-guessing-0123456789")));
        assertEquals(2, simulator(Map.of("PROBE_ADDRESS", address)));
        assertEquals(0, simulator(Map.of("PROBE_ADDRESS", address, "PROBE_BRIDGE_TOKEN", m.group(2))));
        assertEquals(0, finish(probe, 60));
        String log = Files.readString(err);
        assertTrue(log.contains("refused a connection with a wrong bridge token"), log);
        assertTrue(log.contains("refused 1 connection without this inference's token"), log);
        assertNoStackTrace(log);
    }

    @Test
    void ctrlCEndsTheSimulatorsAndEverythingTheyStarted() throws Exception {
        Path pid = dir.resolve("pid");
        Path err = dir.resolve("err");
        Process probe = start(err, "infer", "--simulator", "sh -c 'sleep 300 & echo $! > " + pid + "; wait'", "--workers", "1",
                "--quiet", "--seed", "1");
        long sleeper = Long.parseLong(await(pid, Pattern.compile("(\\d+)")).group(1));
        // The JVM under the launcher script: interrupt it as a terminal's Ctrl-C would.
        ProcessHandle jvm = probe.toHandle().descendants().filter(h -> h.info().command().orElse("").endsWith("java"))
                .findFirst().orElse(probe.toHandle());
        new ProcessBuilder("kill", "-INT", Long.toString(jvm.pid())).start().waitFor(5, TimeUnit.SECONDS);
        finish(probe, 30);
        for (int i = 0; i < 500; i++) {
            Optional<ProcessHandle> h = ProcessHandle.of(sleeper);
            if (h.isEmpty() || !h.get().isAlive()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the simulator's process " + sleeper + " outlived Ctrl-C");
    }

    /**
     * The runtime killed with SIGKILL, when no hook of its own can run: the C++ and the Python
     * simulators it started end by themselves (they watch PROBE_PARENT_PID). They start two seconds
     * late, after the runtime is gone, so without the watch they would wait out their patience for
     * a runtime to connect to (PROBE_CONNECT_TIMEOUT, 60 s).
     */
    @Test
    void simulatorsEndWhenTheRuntimeThatStartedThemIsKilled() throws Exception {
        for (String simulator : new String[] {Path.of("target", "cpp", "gaussian").toAbsolutePath().toString(),
            PythonSimulatorTest.PYTHON + " " + ROOT.resolve("models/python/gaussian.py")}) {
            Path err = dir.resolve("err-killed");
            Process probe = start(err, "infer", "--simulator", "sleep 2; exec " + simulator, "--workers", "2",
                    "--traces", "1000", "--seed", "1", "--quiet");
            // The launcher script execs the JVM: the copies are its children.
            List<ProcessHandle> copies = List.of();
            for (int i = 0; i < 1000 && copies.size() < 2; i++) {
                Thread.sleep(10);
                copies = probe.toHandle().children().toList();
            }
            assertEquals(2, copies.size(), "the runtime did not start two copies: " + Files.readString(err));
            killAndAwait(probe, copies);
        }
    }

    /**
     * PPX simulators (pyprob's protocol) know nothing of Probe and serve until they are killed: the
     * runtime killed with SIGKILL mid-run, the shell each copy runs under ends it, and nothing the
     * runtime started is left.
     */
    @Test
    void ppxSimulatorsEndWhenTheRuntimeThatStartedThemIsKilled() throws Exception {
        Path classes = dir.resolve("ppx-python");
        Processes.Finished flatc = Processes.run(new ProcessBuilder("flatc", "--python", "-o", classes.toString(),
                ROOT.resolve("bridges/src/main/flatbuffers/ppx.fbs").toString()), 120);
        assertEquals(0, flatc.code(), "flatc (Debian's flatbuffers-compiler): " + flatc.output());
        String simulator = "env PYTHONPATH=" + classes + " " + PythonSimulatorTest.PYTHON + " "
                + ROOT.resolve("tests/src/test/python/ppx_simulator.py") + " gaussian";
        Path err = dir.resolve("err-ppx-killed");
        Process probe = start(err, "infer", "--simulator", simulator, "--protocol", "ppx", "--workers", "2", "--traces",
                "100000000", "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "1", "--quiet");
        // Both copies serving: the runtime starts the second once the first has answered its handshake.
        java.util.function.Predicate<ProcessHandle> python = h -> h.info().command().orElse("").contains("python")
                && h.info().commandLine().orElse("").contains("ppx_simulator.py");
        List<ProcessHandle> started = List.of();
        for (int i = 0; i < 3000 && started.stream().filter(python).count() < 2; i++) {
            Thread.sleep(10);
            started = probe.toHandle().descendants().toList();
        }
        List<ProcessHandle> copies = started;
        assertEquals(2, copies.stream().filter(python).count(), "the runtime did not start two PPX simulators: " + Files.readString(err));
        Thread.sleep(1000);
        assertTrue(probe.isAlive(), Files.readString(err));
        killAndAwait(probe, copies);
    }

    /** Kills {@code probe} with SIGKILL and asserts that every one of {@code copies} ends within 15 s. */
    private static void killAndAwait(Process probe, List<ProcessHandle> copies) throws Exception {
        probe.destroyForcibly();
        finish(probe, 30);
        long end = System.nanoTime() + 15_000_000_000L;
        while (copies.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        for (ProcessHandle copy : copies) {
            assertFalse(copy.isAlive(), "pid " + copy.pid() + " (" + copy.info().commandLine().orElse("?")
                    + ") outlived the runtime that started it");
        }
    }

    @Test
    void twoWritersOfOneFileGiveOneWholeResultAndOneClearRefusal() throws Exception {
        Path post = dir.resolve("post.probe");
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious");
        Files.createSymbolicLink(dir.resolve(".post.probe.tmp"), victim);
        Path err1 = dir.resolve("err1");
        Path err2 = dir.resolve("err2");
        // The first writer holds its output while it waits for a simulator: as long as need be, deterministically.
        Process first = start(err1, "infer", "--attach", "127.0.0.1:0", "--workers", "1", "--attach-timeout", "120", "--observe",
                "obs0=8", "--observe", "obs1=9", "--traces", "3000", "--seed", "1", "--quiet", "--save", post.toString());
        Matcher m = await(err1, Pattern.compile("PROBE_ADDRESS=(\\S+) PROBE_BRIDGE_TOKEN=(\\w+)"));
        Process second = start(err2, "infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "1000",
                "--seed", "2", "--quiet", "--save", post.toString());
        assertEquals(2, finish(second, 60), Files.readString(err2));
        assertTrue(Files.readString(err2).contains("being written by another Probe process"), Files.readString(err2));
        assertEquals(0, simulator(Map.of("PROBE_ADDRESS", m.group(1), "PROBE_BRIDGE_TOKEN", m.group(2))));
        assertEquals(0, finish(first, 120), Files.readString(err1));
        assertEquals(3000, Posterior.load(post).size());
        assertEquals("precious", Files.readString(victim));
    }

    /** Training options small enough for seconds: the cases below are about files and messages, not the network's quality. */
    private static final String[] SMALL_TRAINING = {"--traces", "256", "--batch-size", "32", "--validation", "32", "--lstm-hidden",
        "8", "--threads", "1", "--seed", "1", "--quiet"};

    /** probe compile with {@code model} (a MODEL or options naming one) into {@code out}. */
    private static String[] compile(Path out, String... model) {
        List<String> args = new ArrayList<>(List.of("compile"));
        args.addAll(List.of(model));
        args.addAll(List.of("--out", out.toString()));
        args.addAll(List.of(SMALL_TRAINING));
        return args.toArray(String[]::new);
    }

    private static void assertNoStackTrace(String log) {
        assertFalse(log.contains("\tat ") || log.contains("Exception"), log);
    }

    /** The contract for bad input: one line starting probe:, no stack trace. */
    private static void assertOneCleanLine(String err) {
        assertEquals(1, err.strip().lines().count(), err);
        assertTrue(err.startsWith("probe: "), err);
        assertNoStackTrace(err);
    }

    @Test
    void twoCompilesIntoOneDirectoryGiveOneNetworkAndOneClearRefusal() throws Exception {
        Path net = dir.resolve("net");
        Path err1 = dir.resolve("err1");
        Path err2 = dir.resolve("err2");
        // The first holds its --out while it waits for a simulator: as long as need be, deterministically.
        Process first = start(err1, compile(net, "--attach", "127.0.0.1:0", "--workers", "1", "--attach-timeout", "120"));
        Matcher m = await(err1, Pattern.compile("PROBE_ADDRESS=(\\S+) PROBE_BRIDGE_TOKEN=(\\w+)"));
        Process second = start(err2, compile(net, "builtin:gaussian"));
        assertEquals(2, finish(second, 60), Files.readString(err2));
        assertOneCleanLine(Files.readString(err2));
        assertTrue(Files.readString(err2).contains(net + " is being written by another Probe process"), Files.readString(err2));
        assertEquals(0, simulator(Map.of("PROBE_ADDRESS", m.group(1), "PROBE_BRIDGE_TOKEN", m.group(2))));
        assertEquals(0, finish(first, 180), Files.readString(err1));
        dev.probe.proposals.Artifact loaded = dev.probe.proposals.Artifact.load(net, ai.djl.Device.cpu());
        try {
            // The first's network, whole: its settings, and the simulator's choice learnt.
            assertEquals(8, loaded.network().config().hidden());
            assertTrue(loaded.network().addresses().entries().stream().anyMatch(e -> e.key().startsWith("mu")),
                    loaded.network().addresses().entries().toString());
        } finally {
            loaded.network().close();
        }
    }

    @Test
    void aNetworkWithAZeroStandardDeviationIsRefusedInOneLine() throws Exception {
        Path net = dir.resolve("net");
        Path err = dir.resolve("err");
        assertEquals(0, finish(start(err, compile(net, "builtin:gaussian")), 180), Files.readString(err));
        Path json = net.resolve("network.json");
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode meta = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(json.toFile());
        ((com.fasterxml.jackson.databind.node.ArrayNode) meta.get("observations").get(0).get("std")).set(0, 0.0);
        mapper.writeValue(json.toFile(), meta);
        Process ic = start(err, "infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--traces", "100", "--seed", "1", "--quiet");
        assertEquals(2, finish(ic, 60), Files.readString(err));
        assertOneCleanLine(Files.readString(err));
        assertTrue(Files.readString(err).contains(net + " is damaged: observation '"), Files.readString(err));
        assertTrue(Files.readString(err).contains("a standard deviation must be positive and finite"), Files.readString(err));
    }

    @Test
    void sampleIntoHeadPrintsAtOnceAndEndsWhenTheReaderDoes() throws Exception {
        List<String> cmd = List.of(ROOT.resolve("probe").toString(), "sample", "builtin:gaussian", "-n", "20000000", "--seed", "1",
                "--quiet");
        Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (int i = 0; i < 3; i++) {
            assertTrue(r.readLine().startsWith("{\"run\":" + i + ","));
        }
        r.close();
        assertEquals(0, finish(p, 60));
    }
}
