package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/** probe infer, sample and check on .ppl scripts: options, errors and exit codes. */
class ScriptCommandTest {

    @TempDir
    Path dir;

    private String write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f.toString();
    }

    @Test
    void checkSaysOkOrListsEveryError() throws Exception {
        String good = write("good.ppl", "param n = 2;\nreturn n;\n");
        CliTest.Result ok = CliTest.probe("check", good);
        assertEquals(0, ok.code(), ok.err());
        assertEquals(good + ": ok (params: n)", ok.out().strip());
        String bad = write("bad.ppl", "let x = y;\nbreak;\n");
        CliTest.Result r = CliTest.probe("check", bad);
        assertEquals(3, r.code());
        assertTrue(r.err().startsWith("probe: " + bad + ":1:9: undeclared variable 'y'"), r.err());
        assertTrue(r.err().contains(bad + ":2:1: 'break' is only allowed inside a loop"), r.err());
        assertTrue(r.err().contains("2 errors in " + bad), r.err());
        assertFalse(r.err().contains("\tat "));
        CliTest.Result missing = CliTest.probe("check", dir.resolve("none.ppl").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such script"), missing.err());
    }

    @Test
    void paramsObservationsAndArraysForRepeatedNames() throws Exception {
        String coin = write("coin.ppl", "param flips = 3;\nlet p = sample(Beta(2, 2), name: \"p\");\n"
                + "for i in 0..flips { observe(Bernoulli(p), name: \"flip\"); }\nreturn p;\n");
        CliTest.Result r = CliTest.probe("infer", coin, "--param", "flips=4", "--observe", "flip=[1, 1, 0, 1]",
                "--seed", "1", "--json", "--quiet");
        assertEquals(0, r.code(), r.err());
        JsonNode p = r.json().get("variables").get("p");
        // Beta(5, 3): mean 0.625, sd 0.161; 5 standard errors at the run's ESS.
        assertEquals(0.625, p.get("mean").asDouble(), 5 * 0.161 / Math.sqrt(r.json().get("ess").asDouble()));
        CliTest.Result tooFew = CliTest.probe("infer", coin, "--param", "flips=4", "--observe", "flip=[1, 1, 0]", "--seed", "1", "--quiet");
        assertEquals(3, tooFew.code());
        assertTrue(tooFew.err().contains(coin + ":3:21: observation 'flip' occurs 4 or more times in this run, but 3 values were given"),
                tooFew.err());
        CliTest.Result badParam = CliTest.probe("infer", coin, "--param", "sides=2");
        assertEquals(2, badParam.code());
        assertTrue(badParam.err().contains("has no param 'sides'; it declares flips"), badParam.err());
    }

    @Test
    void runtimeErrorsShowThePlaceAndTheSeed() throws Exception {
        String f = write("neg.ppl", "let s = sample(Normal(0, 1), name: \"s\");\nreturn sample(Normal(0, s), name: \"t\");\n");
        CliTest.Result r = CliTest.probe("infer", f, "--engine", "prior", "--seed", "5", "--quiet");
        assertEquals(3, r.code());
        assertTrue(r.err().startsWith("probe: " + f + ":2:15: Normal: stddev must be positive and finite, got -"), r.err());
        assertTrue(r.err().contains("of seed 5; rerun with --seed 5 to reproduce it)"), r.err());
        assertTrue(r.err().contains("    return sample(Normal(0, s), name: \"t\");"), r.err());
    }

    @Test
    void flagAdviceLeavesTheQuotedSourceAlone() throws Exception {
        String f = write("named.ppl", "let maxSteps = 0;\nwhile true { maxSteps = maxSteps + 1; }\n");
        CliTest.Result r = CliTest.probe("sample", f, "-n", "1", "--seed", "1", "--max-steps", "500", "--quiet");
        assertEquals(3, r.code());
        assertTrue(r.err().contains("the run took more than 500 statements (--max-steps)"), r.err());
        assertTrue(r.err().contains("    while true { maxSteps = maxSteps + 1; }"), r.err());
    }

    @Test
    void limitsAreOptions() throws Exception {
        String f = write("loop.ppl", "let x = 0;\nwhile true { x = x + 1; }\n");
        CliTest.Result r = CliTest.probe("sample", f, "-n", "1", "--seed", "1", "--max-steps", "500", "--quiet");
        assertEquals(3, r.code());
        assertTrue(r.err().contains("the run took more than 500 statements (--max-steps)"), r.err());
        String deep = write("deep.ppl", "fn f(n) { return n == 0 ? 0 : f(n - 1); }\nreturn f(300);\n");
        CliTest.Result d = CliTest.probe("sample", deep, "-n", "1", "--seed", "1", "--max-depth", "100", "--quiet");
        assertEquals(3, d.code());
        assertTrue(d.err().contains("calls nest deeper than 100 (--max-depth)"), d.err());
        CliTest.Result fine = CliTest.probe("sample", deep, "-n", "1", "--seed", "1", "--quiet");
        assertEquals(0, fine.code(), fine.err());
    }
}
