package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import dev.probe.runtime.posterior.Posterior;

/** The command in-process: options, output formats, exit codes and error messages of CLI.md. */
class CliTest {

    @TempDir
    Path dir;

    /** What a run of the command gave. */
    record Result(int code, String out, String err) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(out);
        }
    }

    static Result probe(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertError(Result r, int code, String fragment) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.err().contains(fragment), "expected '" + fragment + "' in: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --debug: " + r.err());
    }

    @Test
    void inferPrintsTheJsonOfTheSpec() throws Exception {
        Result r = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "20000",
                "--seed", "1", "--json", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertEquals("builtin:gaussian", j.get("model").asText());
        assertEquals("is", j.get("engine").asText());
        assertEquals(20000, j.get("traces").asInt());
        assertEquals(1, j.get("seed").asLong());
        assertTrue(j.get("seconds").isNumber());
        assertTrue(j.get("ess").asDouble() > 50);
        assertTrue(j.get("log_evidence").isNumber());
        JsonNode mu = j.get("variables").get("mu");
        // Exact N(7.25, 0.9129); 5 standard errors at this ESS.
        assertEquals(7.25, mu.get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
        for (String q : new String[] {"0.05", "0.5", "0.95"}) {
            assertTrue(mu.get("quantiles").get(q).isNumber(), q);
        }
        assertEquals(mu.get("mean"), j.get("result").get("mean"));
        assertEquals("", r.err(), "a fixed seed and --quiet print nothing on standard error");
    }

    @Test
    void discreteVariablesGetAPmfAndRmhAnAutocorrelationEss() throws Exception {
        Result r = probe("infer", "builtin:branching", "--observe", "obs=6", "--engine", "rmh", "--traces", "8000",
                "--seed", "2", "--json", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        JsonNode pmf = j.get("variables").get("r").get("pmf");
        double total = 0;
        for (JsonNode p : pmf) {
            assertTrue(p.asDouble() >= 1e-4);
            total += p.asDouble();
        }
        assertEquals(1, total, 1e-3);
        assertTrue(j.get("log_evidence").isNull());
        assertTrue(j.get("ess").asDouble() > 10 && j.get("ess").asDouble() <= 8000 * 5);
    }

    @Test
    void vectorResultsGiveArrays() throws Exception {
        Result r = probe("infer", "builtin:hmm", "--param", "steps=3", "--observe", "obs=[0.9, 0.8, -1]", "--traces", "3000",
                "--seed", "3", "--json", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode res = r.json().get("result");
        assertEquals(3, res.get("mean").size());
        assertEquals(3, res.get("stddev").size());
        assertTrue(r.json().get("variables").has("state[2]"));
    }

    @Test
    void theSameSeedGivesTheSameOutputAtAnyThreadCount() throws Exception {
        Result one = probe("infer", "builtin:mixture", "--observations", writeObservations(), "--seed", "5", "--threads", "1", "--json", "--quiet");
        Result two = probe("infer", "builtin:mixture", "--observations", writeObservations(), "--seed", "5", "--threads", "2", "--json", "--quiet");
        assertEquals(0, one.code(), one.err());
        JsonNode a = one.json();
        JsonNode b = two.json();
        assertEquals(a.get("variables"), b.get("variables"));
        assertEquals(a.get("ess"), b.get("ess"));
        assertEquals(a.get("log_evidence"), b.get("log_evidence"));
    }

    private String writeObservations() throws Exception {
        Path f = dir.resolve("obs.json");
        Files.writeString(f, "{\"x\": [-2.5, -1.8, -2.2, 1.5, 2.4, 3.1]}");
        return f.toString();
    }

    @Test
    void aRandomSeedIsPrintedSoTheRunCanBeRepeated() {
        Result r = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "100", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().matches("(?s)probe: seed \\d+ \\(pass --seed \\d+ to reproduce this result\\).*"), r.err());
        assertTrue(r.out().contains("mu"), r.out());
    }

    @Test
    void theTableNamesEveryVariable() {
        Result r = probe("infer", "builtin:coin", "--observe", "flip=[1,0,1,1,1,0,1,1,1,1]", "--seed", "1", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("engine is"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("p ")), r.out());
        assertTrue(r.out().contains("log evidence"), r.out());
    }

    @Test
    void savedPosteriorsLoadBack() throws Exception {
        Path f = dir.resolve("post.probe");
        Result r = probe("infer", "builtin:gamma-poisson", "--observe", "count=[3,5,4,6,2]", "--seed", "4", "--traces", "5000",
                "--save", f.toString(), "--json", "--quiet");
        assertEquals(0, r.code(), r.err());
        Posterior p = Posterior.load(f);
        assertEquals(5000, p.size());
        assertEquals(r.json().get("variables").get("rate").get("mean").asDouble(), p.marginal("rate").mean(), 1e-12);
        assertEquals("4", p.info().get("seed"));
        assertEquals("builtin:gamma-poisson", p.info().get("model"));
    }

    @Test
    void sampleWritesOneJsonObjectPerRun() throws Exception {
        Result r = probe("sample", "builtin:coin", "--param", "flips=3", "-n", "5", "--seed", "1", "--quiet");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(5, lines.length);
        for (int i = 0; i < lines.length; i++) {
            JsonNode line = Json.MAPPER.readTree(lines[i]);
            assertEquals(i, line.get("run").asInt());
            double p = line.get("variables").get("p").asDouble();
            assertTrue(p > 0 && p < 1);
            assertEquals(3, line.get("variables").get("flip").size(), "a repeated observation is an array");
            assertEquals(p, line.get("result").asDouble());
        }
        // The simulated observations go back in as observations.
        String flips = Json.MAPPER.readTree(lines[0]).get("variables").get("flip").toString();
        Result back = probe("infer", "builtin:coin", "--param", "flips=3", "--observe", "flip=" + flips, "--traces", "100",
                "--seed", "1", "--quiet");
        assertEquals(0, back.code(), back.err());
    }

    @Test
    void listPrintsEveryBuiltinOnALine() {
        Result r = probe("list");
        assertEquals(0, r.code());
        for (String name : new String[] {"gaussian", "coin", "gamma-poisson", "branching", "hmm", "mixture"}) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith("builtin:" + name + " ")), name + " in " + r.out());
        }
    }

    @Test
    void paretoSmoothingIsAppliedWhereKHatAllowsItAndSaidWhereItDoesNot() throws Exception {
        Path f = dir.resolve("smoothed.probe");
        String[] gaussian = {"infer", "builtin:gaussian", "--observe", "obs0=5", "--observe", "obs1=6", "--traces", "20000",
            "--seed", "1", "--json", "--quiet"};
        Result raw = probe(gaussian);
        Result r = probe(concat(gaussian, "--smooth", "psis", "--save", f.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("probe: Pareto-smoothed the largest 425 of 20,000 importance weights"), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("smoothing").asText().startsWith("Pareto-smoothed importance sampling"), j.toString());
        assertFalse(raw.json().has("smoothing"));
        // The diagnostics judge the raw weights, whose k-hat the smoothing kept.
        assertEquals(raw.json().get("diagnostics").get("khat").asDouble(), j.get("diagnostics").get("khat").asDouble(), 0.0);
        assertEquals(raw.json().get("log_evidence").asDouble(), j.get("log_evidence").asDouble(), 0.0);
        // Exact N(4.75, 0.9129); 5 standard errors at this ESS.
        assertEquals(4.75, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
        Posterior saved = Posterior.load(f);
        assertEquals(j.get("smoothing").asText(), saved.info().get("smoothing"));
        assertEquals(j.get("variables").get("mu").get("mean").asDouble(), saved.marginal("mu").mean(), 1e-12);
        Result exported = probe("export", f.toString());
        assertEquals(0, exported.code(), exported.err());
        assertTrue(exported.err().contains("probe: note: these weights are smoothed (Pareto-smoothed importance sampling"),
                exported.err());
        Path rawFile = dir.resolve("raw.probe");
        assertEquals(0, probe(concat(gaussian, "--save", rawFile.toString())).code());
        Result compared = probe("compare", rawFile.toString(), f.toString(), "--c2st-draws", "0");
        assertEquals(0, compared.code(), compared.err());
        assertTrue(compared.err().contains("probe: note: B's weights are smoothed (Pareto-smoothed importance sampling"),
                compared.err());
        assertFalse(compared.err().contains("A's weights"), compared.err());
        // Loaded again, its diagnostics still judge the raw weights.
        assertEquals(raw.json().get("diagnostics").get("khat").asDouble(),
                dev.probe.diagnostics.Diagnostics.of(saved).weights().khat(), 0.0);

        // Far in the prior's tail the weights are too heavy for a fit to be trusted: the raw ones stay.
        Result heavy = probe("infer", "builtin:gaussian", "--observe", "obs0=25", "--observe", "obs1=26", "--seed", "1",
                "--json", "--quiet", "--smooth", "psis");
        assertEquals(0, heavy.code(), heavy.err());
        assertTrue(heavy.err().contains("probe: warning: --smooth psis: the weights' Pareto k-hat is"), heavy.err());
        assertTrue(heavy.err().contains("the raw weights are reported"), heavy.err());
        assertFalse(heavy.json().has("smoothing"));

        assertError(probe("infer", "builtin:gaussian", "--engine", "rmh", "--smooth", "psis"), 2,
                "--smooth psis smooths importance weights, and --engine rmh's samples carry equal weights");
        assertError(probe("infer", "builtin:gaussian", "--smooth", "loess"), 2, "--smooth loess: unknown method; choose psis");
    }

    /** a's arguments, then b's. */
    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertError(probe("infer"), 2, "give a MODEL (FILE.ppl or builtin:NAME), --simulator \"CMD ARGS\" or --attach HOST:PORT");
        assertError(probe("infer", "builtin:gaussian", "--traces", "many"), 2, "--traces");
        assertError(probe("infer", "builtin:gaussian", "--traces", "0"), 2, "--traces must be positive, got 0");
        assertError(probe("infer", "builtin:gaussian", "--bogus"), 2, "Unknown option: '--bogus'");
        assertError(probe("infer", "builtin:nosuch"), 2,
                "there is no built-in model 'nosuch'; the built-in models are gaussian, coin, gamma-poisson, branching, hmm, mixture");
        assertError(probe("infer", "model.xyz"), 2, "cannot tell what kind of model 'model.xyz' is");
        assertError(probe("infer", "builtin:gaussian", "--engine", "magic"), 2, "--engine magic: unknown engine; choose prior, is, rmh or ic");
        assertError(probe("infer", "builtin:gaussian", "--observe", "obs0"), 2, "--observe obs0: expected NAME=VALUE");
        assertError(probe("infer", "builtin:gaussian", "--observe", "obs0=eight"), 2,
                "--observe obs0: 'eight' is not a number, true/false or a JSON array");
        assertError(probe("infer", "builtin:gaussian", "--observations", dir.resolve("none.json").toString()), 2,
                "--observations: no such file");
        assertError(probe("infer", "builtin:coin", "--param", "sides=3"), 2, "builtin:coin has no parameter 'sides'; it takes flips");
        assertError(probe("infer", "builtin:coin", "--param", "flips=-3"), 2, "parameter flips of builtin:coin must be from 1 to");
        assertError(probe("infer", "builtin:gaussian", "--threads", "0"), 2, "--threads must be positive");
        assertError(probe("nosuchcommand"), 2, "Unmatched argument");
        assertError(probe("infer", "builtin:gaussian", "--simulator", "x"), 2, "give one of MODEL, --simulator and --attach");
        assertError(probe("infer", "--attach", "nowhere"), 2, "--attach nowhere: expected HOST:PORT");
        assertError(probe("infer", "--simulator", "x", "--workers", "0"), 2, "--workers must be positive, got 0");
    }

    @Test
    void badObservationFilesExitWithTwo() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"obs0\": 8,\n \"obs1\": }");
        assertError(probe("infer", "builtin:gaussian", "--observations", f.toString()), 2, "is not valid JSON (line 2");
        Files.writeString(f, "[8, 9]");
        assertError(probe("infer", "builtin:gaussian", "--observations", f.toString()), 2, "must hold a JSON object");
    }

    /** A sharded dataset trains the network its single-file twin trains; a missing shard is a usage error naming it. */
    @Test
    void aShardedDatasetTrainsAsOneFileAndAMissingShardIsNamed() throws Exception {
        Path file = dir.resolve("one.traces");
        Path sharded = dir.resolve("sharded");
        assertEquals(0, probe("compile", "builtin:gaussian", "--traces", "9000", "--seed", "3", "--save-dataset",
                file.toString(), "--quiet").code());
        Result cut = probe("compile", "builtin:gaussian", "--traces", "9000", "--seed", "3", "--save-dataset",
                sharded.toString(), "--shards", "3", "--threads", "2", "--quiet");
        assertEquals(0, cut.code(), cut.err());
        for (Path data : List.of(file, sharded)) {
            Result r = probe("compile", "--dataset", data.toString(), "--traces", "300", "--seed", "1", "--lstm-hidden", "16",
                    "--out", dir.resolve("net-" + data.getFileName()).toString(), "--quiet");
            assertEquals(0, r.code(), r.err());
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("net-one.traces/weights.bin")),
                Files.readAllBytes(dir.resolve("net-sharded/weights.bin")));

        String shard;
        try (var entries = Files.list(sharded)) {
            shard = entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("shard-00001")).findFirst()
                    .orElseThrow();
        }
        Files.delete(sharded.resolve(shard));
        assertError(probe("compile", "--dataset", sharded.toString(), "--traces", "10", "--out", dir.resolve("n").toString(),
                "--quiet"), 2, "shard " + shard + " (runs 4096 to 8192) of " + sharded + " is missing: restore it, or write it"
                + " again with probe compile MODEL --save-dataset DIR --shards N");
        assertError(probe("compile", "builtin:gaussian", "--traces", "9000", "--save-dataset", sharded.toString(), "--shards",
                "4"), 2, "give from 1 to 3 shards");
        assertError(probe("compile", "builtin:gaussian", "--traces", "9000", "--save-dataset", sharded.toString()), 2,
                "is a directory: give a file name, or --shards N");
    }

    /** The libraries name settings, observations and seeds in their own terms; the command names its flags. */
    @Test
    void libraryErrorsAreGivenAsFlags() throws Exception {
        Path out = dir.resolve("net");
        assertError(probe("compile", "builtin:gaussian", "--traces", "10", "--batch-size", "0", "--out", out.toString()), 2,
                "probe: --batch-size must be positive, got 0");
        assertError(probe("compile", "builtin:gaussian", "--traces", "10", "--device", "abacus", "--out", out.toString()), 2,
                "probe: --device abacus: unknown device; choose cpu, gpu or auto");
        assertError(probe("infer", "builtin:gaussian", "--engine", "ic", "--network", dir.resolve("none").toString(),
                "--observe", "obs0=8", "--observe", "obs1=9"), 2, "is not a directory: give the directory a trained network"
                + " was saved in (probe compile MODEL --out DIR trains one)");
        Path junk = dir.resolve("junk.traces");
        Files.writeString(junk, "not a dataset at all");
        assertError(probe("compile", "--dataset", junk.toString(), "--traces", "10", "--out", out.toString()), 2,
                "is not a Probe trace dataset (write one with probe compile MODEL --save-dataset FILE)");
        Result missing = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--seed", "1", "--quiet");
        assertError(missing, 3, "give one with --observe obs1=VALUE or in --observations FILE (in run 0 of seed 1;"
                + " rerun with --seed 1 to reproduce it)");
        assertFalse(missing.err().contains(".observe("), missing.err());
    }

    @Test
    void modelErrorsExitWithThree() {
        assertError(probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--seed", "1", "--quiet"), 3,
                "error in the model: no value was given for observation 'obs1': give one with --observe obs1=VALUE");
        assertError(probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--observe", "obs2=1",
                "--seed", "1", "--quiet"), 3, "a value was given for 'obs2', which no run observes; the model observes obs0, obs1");
        assertError(probe("infer", "builtin:coin", "--observe", "flip=[1,0,2,1,1,1,1,1,1,1]", "--seed", "1", "--quiet"), 3,
                "observation 'flip'[2]: Bernoulli value must be true/false or 1/0, got 2");
        assertError(probe("infer", "builtin:coin", "--observe", "flip=[1,0]", "--seed", "1", "--quiet"), 3,
                "observation 'flip' occurs 3 or more times in this run, but 2 values were given");
    }

    @Test
    void damagedPosteriorFilesAreNotOverwrittenByAFailedRun() throws Exception {
        Path f = dir.resolve("keep.probe");
        Files.writeString(f, "precious");
        Result r = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--seed", "1", "--quiet", "--save", f.toString());
        assertEquals(3, r.code());
        assertEquals("precious", Files.readString(f));
    }

    @Test
    void debugShowsTheStackTrace() {
        Result r = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--seed", "1", "--quiet", "--debug");
        assertEquals(3, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }
}
