package dev.probe.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * with all its digits) and its saved posterior compared byte for byte.
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

    /** SMC's tasks hand back whole particles (traces), which do not travel: a clear error, not a wrong answer. */
    @Test
    void sequentialMonteCarloSaysItStaysLocal() {
        Result r = probe("infer", "builtin:hmm", "--param", "steps=3", "--observe", "obs=[0.2, 1.5, 2.1]", "--engine", "smc",
                "--particles", "50", "--seed", "3", "--quiet", "--backend", "flink", "--flink", address, "--threads", "2");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("cannot travel between machines"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    /** A script's text travels with the job: the workers never read the file. */
    @Test
    void aScriptRunsFromItsText() throws Exception {
        Path script = dir.resolve("coin.ppl");
        Files.writeString(script, "let p = sample(Beta(2, 2), name: \"p\");\nfor i in 0..3 {\n  observe(Bernoulli(p), name: \"flip\");\n}\nreturn p;\n");
        sameEverywhere(new String[] {"infer", script.toString(), "--observe", "flip=[true, true, false]", "--traces", "3000", "--seed", "5",
            "--json", "--quiet"}, 2);
    }

    /** probe sample prints whole traces, which stay in the process that made them: it says so and runs nothing. */
    @Test
    void sampleStaysLocal() {
        Result flink = probe("sample", "builtin:gaussian", "-n", "10", "--seed", "9", "--backend", "flink", "--flink", address);
        assertEquals(2, flink.code(), flink.err());
        assertTrue(flink.err().contains("probe sample runs on the local backend only"), flink.err());
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
