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
