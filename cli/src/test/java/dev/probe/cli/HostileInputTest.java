package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Careless and hostile inputs to the command, in-process: each gets one clear line with the exit
 * code of docs/cli.md, never a stack trace, never silent garbage. The real-process half of the
 * suite (the intruder, concurrent writers, oversized messages) is in tests/.
 */
class HostileInputTest {

    @TempDir
    Path dir;

    static void assertError(CliTest.Result r, int code, String... fragments) {
        assertEquals(code, r.code(), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
        }
        assertTrue(r.err().startsWith("probe: "), r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("internal error"), r.err());
    }

    private static CliTest.Result infer(String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("infer"));
        all.addAll(java.util.List.of(args));
        all.addAll(java.util.List.of("--traces", "500", "--seed", "1", "--quiet"));
        return CliTest.probe(all.toArray(new String[0]));
    }

    @Test
    void moreValuesThanOccurrencesAreAnErrorNamingBothCounts() {
        String twenty = "flip=[1,1,0,1,1,1,0,1,1,0,1,1,0,1,1,1,0,1,1,0]";
        for (String engine : new String[] {"is", "rmh"}) {
            assertError(infer("builtin:coin", "--observe", twenty, "--engine", engine), ExitCode.MODEL, "'flip'", "20 values",
                    "10 times");
        }
        assertEquals(0, infer("builtin:coin", "--observe", "flip=[1,1,0,1,1,1,0,1,1,0]").code());
    }

    @Test
    void aNanObservationIsAModelErrorUnderEveryEngine() throws Exception {
        Path script = dir.resolve("nan.ppl");
        Files.writeString(script, "let mu = sample(Normal(0, 1), name: \"mu\");\nobserve(Normal(mu, 1), 0.0 / 0.0);\nreturn mu;\n");
        for (String engine : new String[] {"is", "rmh", "prior"}) {
            assertError(infer(script.toString(), "--engine", engine), ExitCode.MODEL, "NaN");
        }
    }

    @Test
    void aBooleanForARealObservationIsRefused() {
        assertError(infer("builtin:gaussian", "--observe", "obs0=true", "--observe", "obs1=9"), ExitCode.MODEL, "obs0",
                "boolean");
    }

    @Test
    void aNameGivenTwiceIsRefusedNamingIt() throws Exception {
        assertError(infer("builtin:gaussian", "--observe", "obs0=8", "--observe", "obs0=9"), ExitCode.USAGE, "obs0",
                "twice");
        Path obs = dir.resolve("obs.json");
        Files.writeString(obs, "{\"obs0\": 8, \"obs1\": 9, \"obs0\": 7}");
        assertError(infer("builtin:gaussian", "--observations", obs.toString()), ExitCode.USAGE, "obs0", obs.toString());
    }

    @Test
    void optionsTheEngineWouldIgnoreAreRefused() {
        assertError(infer("builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--burn-in", "100"), ExitCode.USAGE,
                "--burn-in is for --engine rmh");
        assertError(infer("builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--prior-mix", "0.1"),
                ExitCode.USAGE, "--prior-mix is for --engine ic");
        assertError(infer("builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--widen", "1.2"),
                ExitCode.USAGE, "--widen is for --engine ic");
    }

    @Test
    void anEmptyNameUnreadableFilesAndBadNumbersGetUsageErrors() throws Exception {
        assertError(infer("builtin:gaussian", "--observe", " =3"), ExitCode.USAGE, "name before '=' is empty");
        Path latin1 = dir.resolve("latin1.ppl");
        Files.write(latin1, new byte[] {'r', 'e', 't', 'u', 'r', 'n', ' ', '1', ';', ' ', '/', '/', ' ', (byte) 0xe9, '\n'});
        assertError(infer(latin1.toString()), ExitCode.USAGE, latin1.toString(), "not UTF-8");
        assertError(CliTest.probe("check", latin1.toString()), ExitCode.USAGE, "not UTF-8");
        Path obs = dir.resolve("obs.json");
        Files.write(obs, new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'});
        assertError(infer("builtin:gaussian", "--observations", obs.toString()), ExitCode.USAGE, obs.toString());
        assertError(infer("builtin:gaussian", "--observations", dir.toString()), ExitCode.USAGE, "is a directory");
        assertError(infer("--simulator", "true", "--deadline", "0"), ExitCode.USAGE, "--deadline must be positive");
        assertError(infer("--attach", "127.0.0.1:0", "--deadline", "-1"), ExitCode.USAGE, "--deadline must be positive");
    }

    @Test
    void deepExpressionsGetAPlacedErrorAndModerateOnesRun() throws Exception {
        Path sum = dir.resolve("sum.ppl");
        Files.writeString(sum, "let x = sample(Normal(0, 1), name: \"x\");\nlet s = " + "x + ".repeat(3999) + "x;\nreturn s;\n");
        assertError(CliTest.probe("check", sum.toString()), ExitCode.MODEL, sum + ":2:", "nested too deeply");
        Path parens = dir.resolve("parens.ppl");
        Files.writeString(parens, "return " + "(".repeat(5000) + "1" + ")".repeat(5000) + ";\n");
        assertError(CliTest.probe("check", parens.toString()), ExitCode.MODEL, parens + ":1:", "nested more than");
        Path fine = dir.resolve("fine.ppl");
        Files.writeString(fine, "let x = sample(Normal(0, 1), name: \"x\");\nreturn " + "(".repeat(300) + "x + ".repeat(1000) + "x"
                + ")".repeat(300) + ";\n");
        CliTest.Result r = CliTest.probe("sample", fine.toString(), "-n", "2", "--seed", "1", "--quiet", "--threads", "2");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void aDamagedNetworkOrDatasetIsAUsageErrorNamingTheFile() throws Exception {
        Path net = dir.resolve("net");
        Files.createDirectories(net.resolve("weights.bin"));
        Files.writeString(net.resolve("network.json"), "{\"format\": \"probe-network\", \"version\": 1}");
        assertError(infer("builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--engine", "ic", "--network",
                net.toString()), ExitCode.USAGE, net.toString());
        assertError(CliTest.probe("compile", "builtin:gaussian", "--dataset", dir.toString(), "--out", dir.resolve("o").toString(),
                "--quiet", "--seed", "1"), ExitCode.USAGE, dir.toString(), "is a directory");
        assertError(CliTest.probe("compile", "builtin:gaussian", "--lstm-hidden", "1000000", "--out", dir.resolve("o2").toString(),
                "--quiet", "--seed", "1"), ExitCode.USAGE, "at most");
    }

    @Test
    void aBinomialWithATinyProbabilitySamplesAsAnEpidemicThatDiesOutNeedsIt() throws Exception {
        Path sir = dir.resolve("sir.ppl");
        Files.writeString(sir, "let p = sample(Uniform(0, 1e-14), name: \"p\");\nobserve(Binomial(1000, p), name: \"cases\");\n"
                + "let d = sample(Dirichlet([1e-5, 1e-5, 1e-5]), name: \"d\");\nreturn p;\n");
        CliTest.Result r = CliTest.probe("sample", sir.toString(), "-n", "2000", "--seed", "1", "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"cases\":0"), r.out().substring(0, Math.min(300, r.out().length())));
    }

    @Test
    void maxStepsBoundsTheWorkOfBuiltIns() throws Exception {
        Path grow = dir.resolve("grow.ppl");
        // 2,000 appends read and make about 4 million elements: over --max-steps 1,000,000, within the default.
        Files.writeString(grow, "let a = [];\nfor i in 0..2000 {\n  a = append(a, i);\n}\nreturn len(a);\n");
        long t0 = System.nanoTime();
        assertError(CliTest.probe("sample", grow.toString(), "-n", "1", "--seed", "1", "--quiet", "--max-steps", "1000000"),
                ExitCode.MODEL, "--max-steps");
        assertTrue(System.nanoTime() - t0 < 20e9);
        CliTest.Result ok = CliTest.probe("sample", grow.toString(), "-n", "1", "--seed", "1", "--quiet");
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void sampleStreamsInBlocksThatASeedFixes() {
        CliTest.Result all = CliTest.probe("sample", "builtin:gaussian", "-n", "5000", "--seed", "3", "--quiet", "--threads", "2");
        CliTest.Result prefix = CliTest.probe("sample", "builtin:gaussian", "-n", "4500", "--seed", "3", "--quiet", "--threads", "1");
        assertEquals(0, all.code(), all.err());
        String[] a = all.out().split("\n");
        String[] p = prefix.out().split("\n");
        assertEquals(5000, a.length);
        assertEquals(4500, p.length);
        for (int i = 0; i < p.length; i++) {
            assertEquals(p[i], a[i], "line " + i);
        }
        assertTrue(a[4999].startsWith("{\"run\":4999,"), a[4999]);
    }
}
