package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real standalone Flink session cluster (scripts/flink-cluster.sh: a JobManager and two
 * TaskManagers, each its own JVM on loopback), jobs submitted to it by {@code ./probe --backend
 * flink --flink localhost:PORT}: the posterior is the local backend's to the last printed digit,
 * for a built-in model, a script whose text travels with the job, probe sample and SMC (whose
 * traces travel), a job that loses a TaskManager while it runs, C++, Python and PPX simulators
 * started by the tasks, and ic with a network that travels with the job; a job that loses every
 * TaskManager is given up with a clear error. The test starts and stops the cluster itself.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkClusterEndToEndTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path CLUSTER = ROOT.resolve("tests/target/flink-cluster");
    private static int port;
    private static int rpc;

    record Run(int code, String out, String err) {
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Process start(List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
        pb.environment().put("PROBE_FLINK_DIR", CLUSTER.toString());
        pb.environment().put("PROBE_FLINK_PORT", Integer.toString(port));
        pb.environment().put("PROBE_FLINK_RPC_PORT", Integer.toString(rpc));
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private static Run finish(Process p, int seconds) throws Exception {
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("did not finish in " + seconds + " s: " + p.info().commandLine().orElse(""));
        }
        return new Run(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] read(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static Run script(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("scripts/flink-cluster.sh").toString()));
        cmd.addAll(List.of(args));
        return finish(start(cmd), 300);
    }

    private static Process probe(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("probe").toString()));
        cmd.addAll(List.of(args));
        return start(cmd);
    }

    /** The JSON summary less its wall-clock time. */
    private static String summary(Run r) {
        assertEquals(0, r.code(), r.err());
        return r.out().replaceAll("\"seconds\":[0-9.eE-]+,", "");
    }

    /** The command on the local backend, and on the cluster. */
    private static String[] onCluster(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--backend", "flink", "--flink", "localhost:" + port));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @BeforeAll
    static void startCluster() throws Exception {
        assertTrue(Files.isRegularFile(ROOT.resolve("flink/target/probe-flink.jar")),
                "the Flink backend is not packaged: run the tests with 'mvn verify' from the repository root");
        port = freePort();
        rpc = freePort();
        Run started = script("start");
        assertEquals(0, started.code(), started.out() + started.err());
    }

    @AfterAll
    static void stopCluster() throws Exception {
        script("stop");
    }

    private static final String[] GAUSSIAN = {"infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "1",
        "--json", "--quiet"};

    @Test
    @Order(1)
    void theIssuesCommandGivesTheLocalPosterior() throws Exception {
        String[] args = new ArrayList<>(List.of(GAUSSIAN)) {
            {
                addAll(List.of("--traces", "1000000"));
            }
        }.toArray(String[]::new);
        String local = summary(finish(probe(args), 300));
        String cluster = summary(finish(probe(onCluster(args)), 300));
        assertEquals(local, cluster);
    }

    @Test
    @Order(2)
    void aScriptTravelsWithItsJob() throws Exception {
        String[] args = {"infer", "models/scripts/coin.ppl", "--param", "flips=3", "--observe", "flip=[true, true, false]",
            "--traces", "20000", "--seed", "4", "--json", "--quiet"};
        assertEquals(summary(finish(probe(args), 300)), summary(finish(probe(onCluster(args, "--threads", "3")), 300)));
    }

    /**
     * Between processes, whole traces travel too: probe sample's lines and SMC's particles (a job
     * per step, resampled on the driver) are the local ones byte for byte.
     */
    @Test
    @Order(3)
    void samplesAndParticlesTravelBetweenProcesses() throws Exception {
        String[] sample = {"sample", "builtin:gaussian", "-n", "5000", "--seed", "2", "--quiet"};
        Run local = finish(probe(sample), 300);
        assertEquals(0, local.code(), local.err());
        assertEquals(local.out(), finish(probe(onCluster(sample)), 300).out());
        String[] smc = {"infer", "builtin:hmm", "--param", "steps=3", "--observe", "obs=[0.2, 1.5, 2.1]", "--engine", "smc",
            "--particles", "100", "--seed", "3", "--json", "--quiet"};
        assertEquals(summary(finish(probe(smc), 300)), summary(finish(probe(onCluster(smc, "--threads", "3")), 300)));
    }

    /**
     * A TaskManager killed (kill -9) while the job runs: Flink restarts the job on the slots left,
     * the lost ranges are computed again (each a function of its index alone), and the posterior
     * is the undisturbed one. The job's exception history shows the loss happened mid-job.
     */
    @Test
    @Order(4)
    void killingATaskManagerMidJobChangesNothing() throws Exception {
        String[] args = new ArrayList<>(List.of(GAUSSIAN)) {
            {
                addAll(List.of("--traces", "3000000"));
            }
        }.toArray(String[]::new);
        String local = summary(finish(probe(args), 300));
        allTaskManagers();
        // Two slots: the job fits on the TaskManager that survives.
        Process job = probe(onCluster(args, "--threads", "2"));
        String id = runningJob(120);
        Run killed = busyKilled(60);
        assertEquals(0, killed.code(), killed.err());
        Run r = finish(job, 400);
        assertEquals(local, summary(r));
        JsonNode history = get("/jobs/" + id + "/exceptions");
        assertTrue(history.toString().contains("exceptionHistory") && history.get("exceptionHistory").get("entries").size() > 0,
                "the job lost nothing: " + history);
        // The user was told while the job went on, the TaskManager named.
        assertTrue(r.err().lines().anyMatch(l -> l.startsWith("probe: warning: --flink localhost:" + port + ": a task failed on ")
                && l.contains("Flink runs its work again, which changes no result (failure 1; the job fails after 7 restarts")),
                r.err());
    }

    /**
     * C++ simulators started by the tasks (two per slot, with the job's token): a TaskManager killed
     * mid-job takes its simulators' runs with it; the restarted ranges start simulators anew and
     * the posterior is the local one with the same simulators. The killed TaskManager's simulators
     * see their connection close and exit: none is left running.
     */
    @Test
    @Order(5)
    void aJobWithSimulatorsSurvivesTheLossOfATaskManager() throws Exception {
        Path sim = SimulatorBridgeTest.BUILD.resolve("gaussian");
        Run cmake = finish(new ProcessBuilder("cmake", "-S", ROOT.resolve("models/cpp").toString(), "-B",
                SimulatorBridgeTest.BUILD.toString(), "-DCMAKE_BUILD_TYPE=Release").start(), 600);
        assertEquals(0, cmake.code(), cmake.out() + cmake.err());
        Run built = finish(new ProcessBuilder("cmake", "--build", SimulatorBridgeTest.BUILD.toString(), "--target", "gaussian").start(),
                600);
        assertEquals(0, built.code(), built.out() + built.err());
        String[] args = {"infer", "--simulator", sim.toString(), "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "60000",
            "--seed", "7", "--json", "--quiet"};
        String local = summary(finish(probe(with(args, "--workers", "2")), 300));
        allTaskManagers();
        Process job = probe(onCluster(args, "--threads", "2", "--workers-per-slot", "2"));
        String id = runningJob(120);
        Run killed = busyKilled(60);
        assertEquals(0, killed.code(), killed.err());
        assertEquals(local, summary(finish(job, 400)));
        assertTrue(get("/jobs/" + id + "/exceptions").get("exceptionHistory").get("entries").size() > 0, "the job lost nothing");
        long end = System.nanoTime() + 10_000_000_000L;
        List<ProcessHandle> left;
        do {
            Thread.sleep(200);
            left = ProcessHandle.allProcesses().filter(h -> h.info().command().map(sim.toString()::equals).orElse(false)).toList();
        } while (!left.isEmpty() && System.nanoTime() < end);
        assertEquals(List.of(), left, "simulators outlived their TaskManager");
    }

    /**
     * Python simulators started by the tasks: the client library's Gaussian over the bridge, and a
     * PPX simulator (pyprob's protocol, flatbuffers over ZeroMQ) through the PPX adapter; each gives
     * the local posterior with the same simulators, byte for byte.
     */
    @Test
    @Order(6)
    void pythonAndPpxSimulatorsGiveTheLocalPosterior() throws Exception {
        String[] common = {"--observe", "obs0=8", "--observe", "obs1=9", "--traces", "1000", "--seed", "5", "--json", "--quiet"};
        String[] python = with(new String[] {"infer", "--simulator", PythonSimulatorTest.PYTHON + " "
            + ROOT.resolve("models/python/gaussian.py")}, common);
        assertEquals(summary(finish(probe(with(python, "--workers", "2")), 300)),
                summary(finish(probe(onCluster(python, "--threads", "2", "--workers-per-slot", "2")), 300)));
        Path classes = CLUSTER.resolve("ppx-python");
        Run flatc = finish(new ProcessBuilder("flatc", "--python", "-o", classes.toString(),
                ROOT.resolve("bridges/src/main/flatbuffers/ppx.fbs").toString()).start(), 120);
        assertEquals(0, flatc.code(), "flatc (Debian's flatbuffers-compiler): " + flatc.err());
        String[] ppx = with(new String[] {"infer", "--simulator", "env PYTHONPATH=" + classes + " " + PythonSimulatorTest.PYTHON + " "
            + ROOT.resolve("tests/src/test/python/ppx_simulator.py") + " gaussian", "--protocol", "ppx"}, common);
        assertEquals(summary(finish(probe(with(ppx, "--workers", "2")), 300)),
                summary(finish(probe(onCluster(ppx, "--threads", "2", "--workers-per-slot", "2")), 300)));
    }

    /**
     * ic with a trained network on the cluster: the network's files travel with the job (unpacked
     * by each task into a private temporary directory) and the posterior is the local one; a
     * replay given only the shipped files, the original directory gone, runs the network too.
     */
    @Test
    @Order(7)
    void aNetworkTravelsWithItsJob() throws Exception {
        Path net = CLUSTER.resolve("network");
        Run compile = finish(probe("compile", "builtin:gaussian", "--traces", "2000", "--out", net.toString(), "--seed", "1",
                "--quiet"), 300);
        assertEquals(0, compile.code(), compile.err());
        String[] ic = {"infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
            "--observe", "obs1=9", "--traces", "20000", "--seed", "6", "--json", "--quiet"};
        String local = summary(finish(probe(ic), 300));
        assertTrue(local.contains("\"fallbacks\":0"), local);
        assertEquals(local, summary(finish(probe(onCluster(ic, "--threads", "2")), 300)));
        String gone = CLUSTER.resolve("no-such-network").toString();
        dev.probe.cli.Replay replay = new dev.probe.cli.Replay(List.of("infer", "builtin:gaussian", "--engine", "ic",
                "--network=" + gone, "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "2000", "--seed", "6", "--quiet"),
                java.util.Map.of(), java.util.Map.of(gone, dev.probe.cli.Replay.pack(net)), "token");
        dev.probe.cli.Replay.Outcome o = replay.tasks(1, 0, List.of(), 0, 1);
        assertEquals(null, o.failure());
        assertEquals(1, o.results().size());
    }

    /**
     * A job that loses every TaskManager: Flink would keep it waiting for slots, and its driver
     * with it; after --flink-slot-wait seconds with no task running and no free slot, the driver
     * cancels the job and exits with code 1 and one line naming the cluster and the fix. Last, as it
     * leaves the cluster without TaskManagers.
     */
    @Test
    @Order(8)
    void aJobThatLosesEveryTaskManagerIsGivenUp() throws Exception {
        allTaskManagers();
        Process job = probe(onCluster(with(GAUSSIAN, "--traces", "30000000"), "--flink-slot-wait", "5"));
        String id;
        try {
            id = runningJob(120);
            for (String n : List.of("1", "2")) {
                Run killed = script("kill-taskmanager", n);
                assertEquals(0, killed.code(), killed.out() + killed.err());
            }
        } catch (Exception | AssertionError e) {
            job.destroyForcibly();
            throw e;
        }
        Run r = finish(job, 300);
        assertEquals(1, r.code(), r.out() + r.err());
        // The failures told while the job waited for slots (warnings), then one line: the verdict.
        List<String> verdict = r.err().strip().lines().filter(l -> !l.startsWith("probe: warning: ")).toList();
        assertTrue(verdict.size() == 1 && verdict.get(0).startsWith("probe: --flink localhost:" + port + ": the job had no task running")
                && verdict.get(0).contains("scripts/flink-cluster.sh start-taskmanagers"), r.err());
        assertTrue(r.err().contains("so it was cancelled. Start"), "the cluster did not confirm the cancellation: " + r.err());
        assertEquals("CANCELED", get("/jobs/" + id).get("state").asText());
    }

    /**
     * The JobManager killed (kill -9) mid-job: the results it held are lost with it. The command
     * does not wait for it: it ends within seconds, exit code 1, with one line saying what was lost
     * and what to do. (The cluster is left without a JobManager: this test comes last.)
     */
    @Test
    @Order(9)
    void losingTheJobManagerMidJobEndsTheCommandWithAClearMessage() throws Exception {
        allTaskManagers();
        Process job = probe(onCluster(with(GAUSSIAN, "--traces", "100000000")));
        try {
            runningJob(120);
            Run killed = script("kill-jobmanager");
            assertEquals(0, killed.code(), killed.out() + killed.err());
        } catch (Exception | AssertionError e) {
            job.destroyForcibly();
            throw e;
        }
        Run r = finish(job, 120);
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("probe: --flink localhost:" + port + ": lost the Flink cluster mid-job")
                && r.err().contains("scripts/flink-cluster.sh start") && r.err().strip().lines().count() == 1, r.err());
    }

    private static String[] with(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /**
     * Every TaskManager running and registered: a test that killed one leaves the cluster a
     * TaskManager short, and the next test's kill would leave its job no slot at all (it waited for
     * one until the test's deadline).
     */
    private static void allTaskManagers() throws Exception {
        Run r = script("start-taskmanagers");
        assertEquals(0, r.code(), r.out() + r.err());
    }

    /** Kills a TaskManager that runs a task of the job, once one does (within {@code seconds}). */
    private static Run busyKilled(int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Run r;
        do {
            r = script("kill-taskmanager", "busy");
            if (r.code() == 0) {
                return r;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < end);
        throw new AssertionError("no TaskManager ran a task of the job within " + seconds + " s: " + r.err());
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return new ObjectMapper().readTree(r.body());
    }

    /** The id of the first job seen running, within {@code seconds}. */
    private static String runningJob(int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            JsonNode jobs;
            try {
                jobs = get("/jobs/overview").get("jobs");
            } catch (java.net.http.HttpTimeoutException e) {
                // A JobManager slow to answer on a loaded machine: ask again.
                continue;
            }
            for (JsonNode j : jobs) {
                if (j.get("state").asText().equals("RUNNING")) {
                    return j.get("jid").asText();
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no job started running within " + seconds + " s");
    }
}
