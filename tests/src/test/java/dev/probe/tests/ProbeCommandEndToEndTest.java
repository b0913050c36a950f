package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The {@code ./probe} launcher as a user runs it: a real process, its exit code, standard output
 * and standard error. The reactor packages the command before this module's tests run.
 */
class ProbeCommandEndToEndTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    record Run(int code, String out, String err) {
    }

    static Run probe(String... args) throws IOException, InterruptedException {
        return probeWithJavaOptions("", args);
    }

    /** As {@link #probe}, the JVM also given {@code options} (after any PROBE_JAVA_OPTS of the environment). */
    static Run probeWithJavaOptions(String options, String... args) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(ROOT.resolve("cli/target/probe-cli.jar")),
                "the command is not packaged: run the tests with 'mvn verify' from the repository root");
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("probe").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(cmd).directory(ROOT.toFile());
        if (!options.isEmpty()) {
            builder.environment().merge("PROBE_JAVA_OPTS", options, (before, added) -> before + " " + added);
        }
        // Both streams go to files, so that neither can fill its pipe and stall the command while
        // the other is read, and a command that hangs fails the test instead of hanging it.
        Path outFile = Files.createTempFile("probe-out", ".txt");
        Path errFile = Files.createTempFile("probe-err", ".txt");
        try {
            Process p = builder.redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail("probe " + String.join(" ", args) + " did not finish in 300 s; it said: " + Files.readString(errFile));
            }
            return new Run(p.exitValue(), Files.readString(outFile, StandardCharsets.UTF_8),
                    Files.readString(errFile, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
        }
    }

    @Test
    void theReadmeExampleGivesTheExactPosterior() throws Exception {
        Run r = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "100000",
                "--seed", "1", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        JsonNode mu = j.get("variables").get("mu");
        double ess = j.get("ess").asDouble();
        // Exact posterior N(7.25, 0.9129). 5 standard errors: sd / sqrt(ESS) for the mean, and for
        // the standard deviation of a normal sample sd / sqrt(2 ESS).
        assertEquals(7.25, mu.get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(ess));
        assertEquals(0.9129, mu.get("stddev").asDouble(), 5 * 0.9129 / Math.sqrt(2 * ess));
    }

    @Test
    void metropolisHastingsThroughTheLauncher() throws Exception {
        Run r = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--engine", "rmh",
                "--traces", "40000", "--seed", "3", "--json", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        double ess = j.get("ess").asDouble();
        assertEquals(7.25, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(ess));
    }

    /** The issue's own check: compile the Gaussian, then infer with its network. */
    @Test
    void compileThenInferWithTheNetwork(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path net = dir.resolve("net");
        Run compile = probe("compile", "builtin:gaussian", "--traces", "20000", "--out", net.toString(), "--seed", "1");
        assertEquals(0, compile.code(), compile.err());
        assertTrue(compile.out().contains("trained builtin:gaussian on 20,000 traces"), compile.out());
        assertTrue(Files.isRegularFile(net.resolve("network.json")) && Files.isRegularFile(net.resolve("weights.bin")));

        Run ic = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--traces", "2000", "--seed", "2", "--json");
        assertEquals(0, ic.code(), ic.err());
        JsonNode j = new ObjectMapper().readTree(ic.out());
        double ess = j.get("ess").asDouble();
        JsonNode mu = j.get("variables").get("mu");
        assertEquals("ic", j.get("engine").asText());
        assertEquals(0, j.get("fallbacks").asLong());
        // Exact posterior N(7.25, 0.9129), 5 standard errors as above.
        assertEquals(7.25, mu.get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(ess));
        assertEquals(0.9129, mu.get("stddev").asDouble(), 5 * 0.9129 / Math.sqrt(2 * ess));
        Run is = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "2000",
                "--seed", "2", "--json");
        double isEss = new ObjectMapper().readTree(is.out()).get("ess").asDouble();
        assertTrue(ess >= 5 * isEss, "ic ESS " + ess + ", prior IS ESS " + isEss);
        // Wider proposals (--widen): another proposal, so another ESS, and the same exact posterior.
        Run wide = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--traces", "2000", "--seed", "2", "--widen", "1.5", "--json");
        assertEquals(0, wide.code(), wide.err());
        JsonNode w = new ObjectMapper().readTree(wide.out());
        double wideEss = w.get("ess").asDouble();
        assertTrue(Math.abs(wideEss - ess) > 1, "--widen 1.5 left the ESS at " + wideEss + " (" + ess + " without)");
        assertEquals(7.25, w.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(wideEss));
        Run narrow = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--widen", "0.5");
        assertEquals(2, narrow.code(), narrow.err());
        assertTrue(narrow.err().contains("--widen must be at least 1"), narrow.err());
        assertEquals(1, narrow.err().strip().lines().count(), narrow.err());
        // A defensive share of runs from the twice-as-wide proposal (--defensive): the same exact posterior.
        Run defended = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--traces", "2000", "--seed", "2", "--defensive", "0.2", "--json");
        assertEquals(0, defended.code(), defended.err());
        JsonNode d = new ObjectMapper().readTree(defended.out());
        double defendedEss = d.get("ess").asDouble();
        assertEquals(7.25, d.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(defendedEss));
        Run whole = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--defensive", "1");
        assertEquals(2, whole.code(), whole.err());
        assertTrue(whole.err().contains("--defensive must be at least 0 and below 1"), whole.err());
        assertEquals(1, whole.err().strip().lines().count(), whole.err());

        // The network belongs to its model; other mistakes are usage errors with one clear line.
        Run other = probe("infer", "builtin:coin", "--engine", "ic", "--network", net.toString(), "--observe", "flip=[1,0]");
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("trained for builtin:gaussian"), other.err());
        Run none = probe("infer", "builtin:gaussian", "--engine", "ic", "--observe", "obs0=8", "--observe", "obs1=9");
        assertEquals(2, none.code(), none.err());
        assertTrue(none.err().contains("--engine ic needs --network DIR"), none.err());
        Run missingObs = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8");
        assertEquals(2, missingObs.code(), missingObs.err());
        assertTrue(missingObs.err().contains("observation 'obs1'"), missingObs.err());
        Files.writeString(net.resolve("weights.bin"), "not weights");
        Run damaged = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9");
        assertEquals(2, damaged.code(), damaged.err());
        assertTrue(damaged.err().contains("weights.bin is not a Probe weights file"), damaged.err());
        assertEquals(1, damaged.err().strip().lines().count(), damaged.err());
    }

    /**
     * Checks the builtin Gaussian's posterior of mu in {@code json} ({@code infer --json}) against
     * the exact one, mean {@code mean} and sd 0.9129, within 5 standard errors of its ESS; returns the ESS.
     */
    private static double assertGaussianMu(String json, double mean) throws Exception {
        JsonNode j = new ObjectMapper().readTree(json);
        double ess = j.get("ess").asDouble();
        assertEquals(mean, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(ess));
        assertEquals(0.9129, j.get("variables").get("mu").get("stddev").asDouble(), 5 * 0.9129 / Math.sqrt(2 * ess));
        return ess;
    }

    /**
     * compile --focus: a network trained on the runs whose observations are nearest to one; ic
     * with it meets the exact posterior there, and its record says what it was trained on.
     */
    @Test
    void compileFocusedOnOneObservation(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path net = dir.resolve("net");
        Run compile = probe("compile", "builtin:gaussian", "--traces", "20000", "--out", net.toString(), "--seed", "1",
                "--observe", "obs0=8", "--observe", "obs1=9", "--focus", "0.1");
        assertEquals(0, compile.code(), compile.err());
        assertTrue(compile.out().contains("trained builtin:gaussian on 20,000 traces"), compile.out());
        assertTrue(Files.readString(net.resolve("network.json")).contains("focused on one observation: the nearest 0.1 of the runs"));
        Run ic = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--traces", "2000", "--seed", "2", "--json");
        assertEquals(0, ic.code(), ic.err());
        // Exact posterior N(7.25, 0.9129), 5 standard errors as above.
        double ess = assertGaussianMu(ic.out(), 7.25);
        assertTrue(ess >= 0.8 * 2000, "ic ESS " + ess + " of 2,000");
        assertFalse(ic.err().contains("warning"), ic.err());
        // Elsewhere the network still gives the exact posterior, with a warning that it was trained for another observation.
        Run far = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=-4",
                "--observe", "obs1=-3", "--traces", "2000", "--seed", "2", "--json", "--quiet");
        assertEquals(0, far.code(), far.err());
        assertTrue(far.err().contains("probe: warning: " + net + " was trained for another observation (compile --focus 0.1):"),
                far.err());
        // Exact there: precision 1/5 + 2/2, mean (1/5 - 7/2) / 1.2 = -2.75, sd 0.9129; 5 standard errors.
        assertGaussianMu(far.out(), -2.75);

        String[][] wrong = {
            {"--focus", "0.1"},
            {"--focus", "0.1", "--observe", "obs0=8", "--observe", "obs9=9"},
            {"--focus", "0.1", "--observe", "obs0=8", "--observe", "obs1=9", "--dataset", dir.resolve("none").toString()},
            {"--focus", "0", "--observe", "obs0=8", "--observe", "obs1=9"},
            {"--focus", "1.5", "--observe", "obs0=8", "--observe", "obs1=9"},
            {"--observe", "obs0=8", "--observe", "obs1=9"},
        };
        String[] says = {"--focus trains for one observation: give it with --observations FILE or --observe NAME=VALUE",
            "the observation obs9 to focus on is not one the model makes (it observes obs0, obs1)",
            "it does not go with --dataset",
            "--focus must be a share of the runs, above 0 and at most 1, got 0.0",
            "--focus must be a share of the runs, above 0 and at most 1, got 1.5",
            "belong to probe infer, or to compile with --focus SHARE"};
        for (int i = 0; i < wrong.length; i++) {
            List<String> args = new ArrayList<>(List.of("compile", "builtin:gaussian", "--traces", "1000", "--seed", "1",
                    "--out", dir.resolve("other").toString()));
            args.addAll(List.of(wrong[i]));
            Run r = probe(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(says[i]), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    /**
     * compile --wake: after training on the prior, the network trains on runs it draws itself at
     * the observation; ic with it meets the exact posterior there, warns elsewhere, and the
     * option's misuses are usage errors.
     */
    @Test
    void compileWithAWakePhaseAtOneObservation(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path net = dir.resolve("net");
        Run compile = probe("compile", "builtin:gaussian", "--traces", "5000", "--out", net.toString(), "--seed", "1",
                "--observe", "obs0=8", "--observe", "obs1=9", "--wake", "20000");
        assertEquals(0, compile.code(), compile.err());
        assertTrue(compile.out().contains("wake phase: 20,000 runs drawn by the network at the observation in 1 round ("),
                compile.out());
        assertTrue(compile.err().contains("probe: wake round 1: 20,000 runs drawn by the network, Kish ESS"), compile.err());
        JsonNode wake = new ObjectMapper().readTree(net.resolve("network.json").toFile()).path("training").path("wake");
        assertEquals(20000, wake.path("runs").asLong(), wake.toString());
        assertEquals(8.0, wake.path("observation").path("obs0").get(0).asDouble(), wake.toString());
        Run ic = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=9", "--traces", "2000", "--seed", "2", "--json");
        assertEquals(0, ic.code(), ic.err());
        assertFalse(ic.err().contains("warning"), ic.err());
        // Exact posterior N(7.25, 0.9129), 5 standard errors as above.
        double ess = assertGaussianMu(ic.out(), 7.25);
        assertTrue(ess >= 0.8 * 2000, "ic ESS " + ess + " of 2,000");
        Run far = probe("infer", "builtin:gaussian", "--engine", "ic", "--network", net.toString(), "--observe", "obs0=8",
                "--observe", "obs1=3", "--traces", "500", "--seed", "2", "--quiet");
        assertEquals(0, far.code(), far.err());
        assertTrue(far.err().contains("probe: warning: " + net + " was trained further at another observation (compile"
                + " --wake): obs1 differs"), far.err());

        String[][] wrong = {
            {"--wake", "1000"},
            {"--wake", "0", "--observe", "obs0=8", "--observe", "obs1=9"},
            {"--wake", "1000", "--observe", "obs0=8", "--observe", "obs1=9", "--plane", "obs0"},
        };
        String[] says = {"--wake trains the network at one observation: give it with --observations FILE or --observe NAME=VALUE",
            "--wake must be a positive number of runs, got 0",
            "--wake trains a network further; it does not go with --plane"};
        for (int i = 0; i < wrong.length; i++) {
            List<String> args = new ArrayList<>(List.of("compile", "builtin:gaussian", "--traces", "1000", "--seed", "1"));
            if (i < 2) {
                args.addAll(List.of("--out", dir.resolve("other").toString()));
            }
            args.addAll(List.of(wrong[i]));
            Run r = probe(args.toArray(String[]::new));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(says[i]), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        // An observation the model does not make fails as infer's would, before any training.
        Run unknown = probe("compile", "builtin:gaussian", "--traces", "1000000", "--seed", "1", "--out",
                dir.resolve("other").toString(), "--observe", "obs0=8", "--observe", "obs1=9", "--observe", "obsX=1",
                "--wake", "1000");
        assertEquals(3, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("a value was given for 'obsX', which no run observes; the model observes obs0, obs1"),
                unknown.err());
        assertFalse(Files.exists(dir.resolve("other").resolve("network.json")), "a checkpoint was saved: training ran");
    }

    /**
     * A recursive script trained with --recurrence call-tree: the artifact says so and ic meets the
     * exact posterior. Three fair coins, the third made by the right-hand call after the left one's
     * coin, so its parent in the call tree is not the choice made just before it; their sum is seen
     * with Gaussian noise.
     */
    @Test
    void aCallTreeNetworkMeetsTheExactPosteriorOfARecursiveScript(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path script = dir.resolve("split.ppl");
        Files.writeString(script, String.join("\n",
                "fn split(depth) {",
                "  if depth >= 2 {",
                "    return 0;",
                "  }",
                "  let coin = sample(Categorical([0.5, 0.5]));",
                "  return coin + split(depth + 1) + split(depth + 1);",
                "}",
                "let total = split(0);",
                "tag(total, name: \"total\");",
                "observe(Normal(total, 0.5), name: \"y\");",
                "return total;", ""));
        Path net = dir.resolve("net");
        Run compile = probe("compile", script.toString(), "--traces", "6000", "--recurrence", "call-tree", "--lstm-hidden", "16",
                "--out", net.toString(), "--seed", "1", "--quiet");
        assertEquals(0, compile.code(), compile.err());
        JsonNode saved = new ObjectMapper().readTree(net.resolve("network.json").toFile());
        assertEquals("call-tree", saved.get("network").get("recurrence").asText());
        assertEquals(2, saved.get("version").asInt(), "a Probe without the call tree refuses it");
        assertEquals(3, saved.get("addresses").size(), saved.get("addresses").toString());

        Run ic = probe("infer", script.toString(), "--engine", "ic", "--network", net.toString(), "--observe", "y=2.4",
                "--traces", "4000", "--seed", "2", "--json", "--quiet");
        assertEquals(0, ic.code(), ic.err());
        JsonNode j = new ObjectMapper().readTree(ic.out());
        assertEquals(0, j.get("fallbacks").asLong());
        // Exact: P(total = k | y) is proportional to C(3, k) N(y; k, 0.5).
        double[] w = new double[4];
        double z = 0;
        double mean = 0;
        for (int k = 0; k <= 3; k++) {
            w[k] = new int[] {1, 3, 3, 1}[k] * Math.exp(-0.5 * Math.pow((2.4 - k) / 0.5, 2));
            z += w[k];
        }
        double second = 0;
        for (int k = 0; k <= 3; k++) {
            mean += k * w[k] / z;
            second += k * k * w[k] / z;
        }
        double sd = Math.sqrt(second - mean * mean);
        double ess = j.get("ess").asDouble();
        assertTrue(ess > 1000, "ESS " + ess + " of 4,000 runs");
        // 5 Monte Carlo standard errors of the posterior mean.
        assertEquals(mean, j.get("variables").get("total").get("mean").asDouble(), 5 * sd / Math.sqrt(ess));

        Run bad = probe("compile", script.toString(), "--recurrence", "tree", "--out", dir.resolve("n2").toString());
        assertEquals(2, bad.code(), bad.err());
        assertEquals("probe: --recurrence must be sequence or call-tree, got 'tree'", bad.err().strip());
    }

    @Test
    void errorsAreOneClearLineAndTheSpecifiedExitCode() throws Exception {
        Run usage = probe("infer", "builtin:gaussian", "--traces", "-5");
        assertEquals(2, usage.code());
        assertEquals("probe: --traces must be positive, got -5", usage.err().strip());
        Run model = probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--seed", "1");
        assertEquals(3, model.code());
        assertFalse(model.err().contains("Exception"), model.err());
        assertTrue(model.err().contains("observation 'obs1'"), model.err());
        assertEquals("", model.out());
    }

    @Test
    void theLanguageExamplesRunAsWrittenThroughTheCommand() throws Exception {
        for (String engine : new String[] {"is", "rmh"}) {
            Run g = probe("infer", "models/scripts/gaussian.ppl", "--observe", "obs0=8", "--observe", "obs1=9", "--engine", engine,
                    "--traces", "40000", "--seed", "2", "--json", "--quiet");
            assertEquals(0, g.code(), g.err());
            JsonNode j = new ObjectMapper().readTree(g.out());
            // Exact N(7.25, 0.9129); 5 standard errors at the run's ESS.
            assertEquals(7.25, j.get("variables").get("mu").get("mean").asDouble(), 5 * 0.9129 / Math.sqrt(j.get("ess").asDouble()));
            Run b = probe("infer", "models/scripts/branching.ppl", "--observe", "obs=6", "--engine", engine, "--traces", "20000",
                    "--seed", "2", "--json", "--quiet");
            assertEquals(0, b.code(), b.err());
            JsonNode pmf = new ObjectMapper().readTree(b.out()).get("variables").get("r").get("pmf");
            double[] exact = Exact.branchingPosterior(6);
            double ess = new ObjectMapper().readTree(b.out()).get("ess").asDouble();
            // P(r = 5), the mode: 5 standard errors sqrt(p (1 - p) / ESS).
            assertEquals(exact[5], pmf.get("5").asDouble(), 5 * Math.sqrt(exact[5] * (1 - exact[5]) / ess));
        }
        Run check = probe("check", "models/scripts/cascade.ppl");
        assertEquals(0, check.code(), check.err());
    }

    @Test
    void listAndSample() throws Exception {
        Run list = probe("list");
        assertEquals(0, list.code());
        assertEquals(dev.probe.models.Builtins.all().size(), list.out().strip().split("\n").length);
        Run sample = probe("sample", "builtin:branching", "-n", "3", "--seed", "2");
        assertEquals(0, sample.code(), sample.err());
        assertEquals(3, sample.out().strip().split("\n").length);
    }
}
