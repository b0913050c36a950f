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
