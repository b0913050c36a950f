package dev.probe.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.probe.cli.Main;

/**
 * The Flink backend gives the local backend's answer to the last bit: each engine's command run
 * locally and on a Flink mini-cluster (through its REST endpoint, as a session cluster is
 * reached, and once embedded) at several parallelisms, its JSON summary (every figure printed
 * with all its digits) and its saved posterior compared byte for byte; and so for probe sample's
 * lines, probe calibrate's result and the shards and manifest of probe compile --save-dataset.
 */
class FlinkBackendTest {

    private static MiniCluster cluster;
    private static String address;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        Configuration conf = new Configuration();
        conf.setString("rest.address", "localhost");
        conf.setString("rest.bind-address", "localhost");
        conf.setString("rest.bind-port", "0");
        cluster = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf).setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(4).build());
        cluster.start();
        URI rest = cluster.getRestAddress().get();
        address = rest.getHost() + ":" + rest.getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
    }

    /** A command's exit code, standard output and standard error. */
    record Result(int code, String out, String err) {
    }

    static Result probe(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The JSON summary less its wall-clock time. */
    private static String summary(Result r) {
        assertEquals(0, r.code(), r.err());
        return r.out().replaceAll("\"seconds\":[0-9.eE-]+,", "");
    }

    private static String[] with(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** The command locally, then on the cluster at each parallelism: the same summary and the same saved posterior. */
    private void sameEverywhere(String[] args, int... parallelisms) throws Exception {
        Path local = dir.resolve("local.posterior");
        String expected = summary(probe(with(args, "--threads", "2", "--save", local.toString())));
        for (int p : parallelisms) {
            Path remote = dir.resolve("flink-" + p + ".posterior");
            String got = summary(probe(with(args, "--backend", "flink", "--flink", address, "--threads", Integer.toString(p),
                    "--save", remote.toString())));
            assertEquals(expected, got, "parallelism " + p);
            assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(remote), "saved posterior at parallelism " + p);
        }
    }

    private static final String[] GAUSSIAN = {"infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "1",
        "--json", "--quiet"};

    @Test
    void importanceSamplingIsTheLocalOne() throws Exception {
        sameEverywhere(with(GAUSSIAN, "--traces", "20000"), 1, 3);
    }

    @Test
    void priorSamplingIsTheLocalOne() throws Exception {
        sameEverywhere(with(GAUSSIAN, "--engine", "prior", "--traces", "5000"), 1, 4);
    }

    @Test
    void metropolisHastingsChainsAreTheLocalOnes() throws Exception {
        sameEverywhere(with(GAUSSIAN, "--engine", "rmh", "--traces", "2000", "--chains", "3"), 2, 3);
    }

    private static final String[] HMM = {"infer", "builtin:hmm", "--param", "steps=3", "--observe", "obs=[0.2, 1.5, 2.1]",
        "--particles", "150", "--seed", "3", "--json", "--quiet"};

    /**
     * SMC resamples its one particle system on the driver, a job per step and per round of moves,
     * the particles travelling as serialized traces: the local answer, evidence included. 150
     * particles make three tasks of 64.
     */
    @Test
    void sequentialMonteCarloIsTheLocalOne() throws Exception {
        sameEverywhere(with(HMM, "--engine", "smc", "--rejuvenate", "1", "--ess-threshold", "0.9"), 2);
    }

    @Test
    void temperedSequentialMonteCarloIsTheLocalOne() throws Exception {
        sameEverywhere(with(HMM, "--engine", "smc-tempered", "--rejuvenate", "1"), 3);
    }

    /** A script's text travels with the job: the workers never read the file. */
    @Test
    void aScriptRunsFromItsText() throws Exception {
        Path script = dir.resolve("coin.ppl");
        Files.writeString(script, "let p = sample(Beta(2, 2), name: \"p\");\nfor i in 0..3 {\n  observe(Bernoulli(p), name: \"flip\");\n}\nreturn p;\n");
        sameEverywhere(new String[] {"infer", script.toString(), "--observe", "flip=[true, true, false]", "--traces", "3000", "--seed", "5",
            "--json", "--quiet"}, 2);
    }

    /** probe sample's blocks of runs travel as their lines: the output is the local one byte for byte (3 blocks of 4,096). */
    @Test
    void sampleIsTheLocalOne() {
        String[] args = {"sample", "builtin:gaussian", "-n", "9000", "--seed", "9", "--quiet"};
        Result local = probe(with(args, "--threads", "2"));
        Result flink = probe(with(args, "--backend", "flink", "--flink", address, "--threads", "3"));
        assertEquals(0, local.code(), local.err());
        assertEquals(9000, local.out().lines().count());
        assertEquals(local.code(), flink.code(), flink.err());
        assertEquals(local.out(), flink.out());
    }

    /** Calibration's inferences are tasks of the seam: the same ranks, p-values and verdict. */
    @Test
    void calibrationIsTheLocalOne() {
        String[] args = {"calibrate", "builtin:gaussian", "--runs", "40", "--traces", "200", "--draws", "19", "--bins", "4",
            "--seed", "3", "--json", "--quiet"};
        Result local = probe(with(args, "--threads", "2"));
        Result flink = probe(with(args, "--backend", "flink", "--flink", address, "--threads", "3"));
        assertTrue(local.out().contains("\"ranks\""), local.err());
        assertEquals(local.code(), flink.code(), flink.err());
        assertEquals(local.out(), flink.out());
    }

    /** Workers write their shards into the directory they share with the driver, which writes the manifest. */
    @Test
    void shardedDatasetIsTheLocalOne() throws Exception {
        String[] args = {"compile", "builtin:gaussian", "--traces", "10000", "--shards", "3", "--seed", "4", "--quiet"};
        Path local = dir.resolve("local-dataset");
        Path remote = dir.resolve("flink-dataset");
        Result l = probe(with(args, "--save-dataset", local.toString(), "--threads", "2"));
        assertEquals(0, l.code(), l.err());
        Result f = probe(with(args, "--save-dataset", remote.toString(), "--backend", "flink", "--flink", address, "--threads", "3"));
        assertEquals(0, f.code(), f.err());
        List<String> names;
        try (var files = Files.list(local)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (var files = Files.list(remote)) {
            assertEquals(names, files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertEquals(4, names.size(), names.toString());
        for (String name : names) {
            assertArrayEquals(Files.readAllBytes(local.resolve(name)), Files.readAllBytes(remote.resolve(name)), name);
        }
        Result training = probe("compile", "builtin:gaussian", "--out", dir.resolve("net").toString(), "--backend", "flink",
                "--flink", address);
        assertEquals(2, training.code(), training.err());
        assertTrue(training.err().contains("give --save-dataset DIR --shards N"), training.err());
    }

    /**
     * A range's results larger than a record of the collect sink travel in pieces, put together in
     * any order; a copy of the range computed again (after a restart) is never mixed with the first.
     */
    @Test
    void largeResultsTravelInPieces() {
        byte[] big = new byte[FlinkBackend.PIECE_BYTES * 2 + 5];
        new java.util.Random(1).nextBytes(big);
        byte[] other = big.clone();
        other[0]++;
        var first = FlinkBackend.cut(1, big);
        var again = FlinkBackend.cut(1, other);
        assertEquals(3, first.size());
        FlinkBackend.Pieces pieces = new FlinkBackend.Pieces(2);
        assertNull(pieces.add(first.get(2)));
        assertNull(pieces.add(again.get(0)));
        assertNull(pieces.add(first.get(0)));
        assertArrayEquals(big, pieces.add(first.get(1)));
        assertTrue(pieces.complete(1));
        assertNull(pieces.add(again.get(1)));
        assertNull(pieces.add(again.get(2)));
        assertEquals(1, FlinkBackend.cut(0, new byte[0]).size());
        assertArrayEquals(new byte[0], pieces.add(FlinkBackend.cut(0, new byte[0]).get(0)));
    }

    @Test
    void embeddedIsTheLocalOne() {
        String[] args = with(GAUSSIAN, "--traces", "5000");
        assertEquals(summary(probe(with(args, "--threads", "2"))),
                summary(probe(with(args, "--backend", "flink", "--flink", "embedded", "--threads", "2"))));
    }

    /** A run's error comes back as the local one would: the model's, exit code 3, the first failing run named. */
    @Test
    void aModelErrorIsReportedAsLocally() {
        String[] args = {"infer", "builtin:gaussian", "--observe", "obs0=8", "--traces", "3000", "--seed", "1", "--quiet"};
        Result local = probe(args);
        Result flink = probe(with(args, "--backend", "flink", "--flink", address, "--threads", "3"));
        assertEquals(3, local.code(), local.err());
        assertEquals(local.code(), flink.code());
        assertEquals(local.err(), flink.err());
    }

    /** The C++ gaussian simulator (models/cpp), built by CMake into target/cpp (scripts/cpp-deps.sh installs what it needs). */
    private static synchronized Path gaussianSimulator() throws Exception {
        Path build = Path.of("target", "cpp").toAbsolutePath();
        for (List<String> cmd : List.of(
                List.of("cmake", "-S", Path.of("..", "models", "cpp").toAbsolutePath().normalize().toString(), "-B", build.toString(),
                        "-DCMAKE_BUILD_TYPE=Release"),
                List.of("cmake", "--build", build.toString(), "--target", "gaussian", "-j", "2"))) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(600, java.util.concurrent.TimeUnit.SECONDS), "timed out: " + cmd);
            assertEquals(0, p.exitValue(), cmd + " failed (scripts/cpp-deps.sh installs the C++ packages):\n" + out);
        }
        return build.resolve("gaussian");
    }

    /** The processes still running {@code binary}. */
    private static List<ProcessHandle> running(Path binary) {
        return ProcessHandle.allProcesses().filter(h -> h.info().command().map(binary.toString()::equals).orElse(false)).toList();
    }

    /**
     * External simulators: each task starts --workers-per-slot copies of the command, attached to a
     * bridge in the task with the job's token, and stops them when it ends. The runtime decides
     * every choice (or, with --self-draw, each run's seed), so the posterior is the local one with
     * the same simulators, byte for byte. 3,000 runs: three blocks of 1,024.
     */
    @Test
    void externalSimulatorsRunInTheTasksAndGiveTheLocalPosterior() throws Exception {
        Path sim = gaussianSimulator();
        Path tokens = dir.resolve("tokens");
        // Each copy notes the token it was given, then becomes the simulator.
        String command = "echo \"$PROBE_BRIDGE_TOKEN\" >> " + tokens + "; exec " + sim;
        String[] args = {"infer", "--simulator", command, "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "3000",
            "--seed", "2", "--json", "--quiet"};
        for (String[] variant : List.of(args, with(args, "--self-draw"))) {
            Path local = dir.resolve("local.posterior");
            Path remote = dir.resolve("flink.posterior");
            String expected = summary(probe(with(variant, "--workers", "2", "--save", local.toString())));
            Files.deleteIfExists(tokens);
            String got = summary(probe(with(variant, "--backend", "flink", "--flink", address, "--threads", "2",
                    "--workers-per-slot", "2", "--save", remote.toString())));
            assertEquals(expected, got);
            assertArrayEquals(Files.readAllBytes(local), Files.readAllBytes(remote), "saved posterior");
            // Three ranges of one block each, two copies per range, all given the job's one token.
            List<String> given = Files.readAllLines(tokens);
            assertEquals(6, given.size(), given.toString());
            assertEquals(1, given.stream().distinct().count(), given.toString());
            assertTrue(given.get(0).matches("[0-9a-f]{64}"), given.get(0));
            assertEquals(List.of(), running(sim), "simulators outlived their tasks");
        }
    }

    /** A simulator that presents another token than the job's is turned away; the job fails saying why. */
    @Test
    void aSimulatorWithAWrongTokenIsRefusedOnTheCluster() throws Exception {
        Path sim = gaussianSimulator();
        Result r = probe("infer", "--simulator", "PROBE_BRIDGE_TOKEN=not-this-jobs-token-0123456789 exec " + sim, "--observe",
                "obs0=8", "--observe", "obs1=9", "--traces", "1000", "--seed", "2", "--quiet", "--backend", "flink", "--flink",
                address, "--threads", "1");
        assertTrue(r.code() != 0, r.err());
        assertTrue(r.err().contains("did not attach") && r.err().contains("a wrong bridge token"), r.err());
        // Each failure is told while the job restarts, not only the last once it has failed.
        List<String> told = r.err().lines().filter(l -> l.startsWith("probe: warning: --flink " + address + ": a task failed (")).toList();
        // The eighth failure ends the job: the error says so, not a warning that the work runs again.
        assertTrue(told.size() >= 2 && told.size() <= 7 && told.get(0).contains("did not attach") && told.get(0).contains("(failure 1; the job fails after 7"
                + " restarts, 1 to 16 s apart)"), r.err());
        assertEquals(List.of(), running(sim), "simulators outlived their tasks");
    }

    /**
     * A failed job is restarted 1, 2, 4, 8 and then 16 s apart until the restarts outlast the
     * cluster's heartbeat timeout by 10 s: the time a killed TaskManager's slots stay in use.
     */
    @Test
    void restartsOutlastTheClustersHeartbeatTimeout() throws Exception {
        String[] hostPort = address.split(":");
        // The test cluster keeps Flink's default; one that says another is read (an endpoint
        // serving only /jobmanager/config, as a JobManager configured so would).
        assertEquals(FlinkBackend.DEFAULT_HEARTBEAT_TIMEOUT, FlinkBackend.heartbeatTimeout(hostPort[0], Integer.parseInt(hostPort[1])));
        com.sun.net.httpserver.HttpServer config = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        config.createContext("/jobmanager/config", exchange -> {
            byte[] body = "[{\"key\":\"rest.port\",\"value\":\"8081\"},{\"key\":\"heartbeat.timeout\",\"value\":\"20000\"}]"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        config.start();
        try {
            assertEquals(Duration.ofSeconds(20), FlinkBackend.heartbeatTimeout("127.0.0.1", config.getAddress().getPort()));
        } finally {
            config.stop(0);
        }
        assertEquals(FlinkBackend.DEFAULT_HEARTBEAT_TIMEOUT, FlinkBackend.heartbeatTimeout("localhost", 1));
        assertEquals(5, FlinkBackend.restarts(Duration.ofSeconds(20)), "1 + 2 + 4 + 8 + 16 = 31 s >= 30 s");
        assertEquals(7, FlinkBackend.restarts(Duration.ofSeconds(50)), "1 + 2 + 4 + 8 + 16 + 16 + 16 = 63 s >= 60 s");
        assertEquals(4, FlinkBackend.restarts(Duration.ZERO), "1 + 2 + 4 + 8 = 15 s >= 10 s");
        assertEquals(19, FlinkBackend.restarts(Duration.ofMinutes(4)), "15 s + 15 x 16 s = 255 s >= 250 s");
    }

    /**
     * A failure is told in one line: the exception's simple name and the first line of its
     * message (at most 300 characters), the TaskManager where the cluster names one.
     */
    @Test
    void aFailureIsToldInOneLine() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        String trace = "org.apache.flink.runtime.resourcemanager.exceptions.ResourceManagerException: TaskManager with id tm-1 is no"
                + " longer reachable.\n\tat org.apache.flink.Somewhere.method(Somewhere.java:1)\n";
        String line = FlinkBackend.Stall.failure("localhost:8081", json.readTree("{\"stacktrace\": \"" + trace.replace("\n", "\\n")
                .replace("\t", "\\t") + "\", \"taskName\": \"Source\", \"endpoint\": \"localhost:36241\", \"timestamp\": 5}"), 2, 7);
        assertEquals("--flink localhost:8081: a task failed on localhost:36241 (ResourceManagerException: TaskManager with id tm-1 is"
                + " no longer reachable.); Flink runs its work again, which changes no result (failure 2; the job fails after 7"
                + " restarts, 1 to 16 s apart)", line);
        String embedded = FlinkBackend.Stall.failure("embedded", json.readTree("{\"stacktrace\": \"java.lang.IllegalStateException: "
                + "x".repeat(400) + "\", \"taskName\": \"Source\", \"endpoint\": \"localhost:-1\"}"), 1, 4);
        assertEquals("--flink embedded: a task failed (IllegalStateException: " + "x".repeat(300 - "IllegalStateException: ".length())
                + "...); Flink runs its work again, which changes no result (failure 1; the job fails after 4 restarts, 1 to 16 s"
                + " apart)", embedded);
    }

    /** Options that cannot go together on a cluster are usage errors that name the fix. */
    @Test
    void simulatorOptionsOnAClusterAreChecked() {
        String[][] cases = {
            {"--attach", "127.0.0.1:0", "simulators started by hand cannot join"},
            {"--simulator", "true", "--workers", "2", "--workers is for the local backend"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("infer", "--observe", "obs0=8", "--backend", "flink", "--flink", address));
            args.addAll(List.of(c).subList(0, c.length - 1));
            Result r = probe(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(c[c.length - 1]), r.err());
        }
        Result local = probe("infer", "--simulator", "true", "--workers-per-slot", "2", "--observe", "obs0=8");
        assertEquals(2, local.code(), local.err());
        assertTrue(local.err().contains("--workers-per-slot is for --backend flink"), local.err());
    }

    @Test
    void badTargetsAreClearOneLineErrors() {
        Result malformed = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--backend", "flink",
                "--flink", "nowhere", "--seed", "1");
        assertEquals(2, malformed.code(), malformed.err());
        assertTrue(malformed.err().contains("--flink nowhere: expected embedded or HOST:PORT"), malformed.err());
        Result unreachable = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--backend", "flink",
                "--flink", "localhost:1", "--seed", "1");
        assertEquals(1, unreachable.code(), unreachable.err());
        assertTrue(unreachable.err().startsWith("probe: --flink localhost:1: cannot reach the Flink cluster"), unreachable.err());
        assertEquals(1, unreachable.err().strip().lines().count(), unreachable.err());
        Result stray = probe("infer", "builtin:gaussian", "--flink", address, "--seed", "1");
        assertEquals(2, stray.code(), stray.err());
        assertTrue(stray.err().contains("--flink is for --backend flink"), stray.err());
        Result unknown = probe("infer", "builtin:gaussian", "--backend", "spark", "--seed", "1");
        assertEquals(2, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("--backend spark: unknown backend; choose local or flink"), unknown.err());
    }
}
