package dev.probe.language;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.RunException;
import dev.probe.runtime.model.ModelException;

/** Every kind of error the language reports: its message, its place, all of them at once. */
class ErrorsTest {

    private static List<Diagnostic> errors(String text) {
        return assertThrows(ScriptException.class, () -> Scripts.parse(text)).diagnostics();
    }

    private static String places(List<Diagnostic> d) {
        return d.stream().map(x -> x.line() + ":" + x.col()).collect(Collectors.joining(" "));
    }

    @Test
    void everySyntaxErrorIsReportedWithItsPlace() {
        List<Diagnostic> d = errors("let x = ;\nlet y = 2\nlet z = 3;\nreturn x $ y;\n");
        assertTrue(d.size() >= 3, d.toString());
        assertEquals(1, d.get(0).line());
        assertTrue(d.stream().anyMatch(x -> x.line() == 3), "the missing ';' on line 2 is found at line 3: " + d);
        assertTrue(d.stream().anyMatch(x -> x.line() == 4 && x.message().equals("unexpected character '$'")), d.toString());
    }

    @Test
    void aRejectBodyMayChangeOnlyItsListedVariablesAndNotJumpOut() {
        List<Diagnostic> d = errors(String.join("\n",
                "let a = 0.0;",
                "let b = 0.0;",
                "let arr = [1, 2];",
                "reject a, zz until a > 0 {",                  // 4 zz undeclared
                "  let own = 1;",
                "  own = 2;",                                  // its own variable: fine
                "  a = sample(Uniform(-1, 1));",
                "  b = 2;",                                    // 8 not listed
                "  arr[0] = 3;",                               // 9 an element of an outer array
                "  while true { break; }",                     // a loop of its own: fine
                "  break;",                                    // 11 jumps out
                "  return 1;",                                 // 12 returns
                "}",
                "return a;"));
        assertEquals("4:11 8:3 9:3 11:3 12:3", places(d), d.toString());
        assertTrue(d.get(1).message().contains("add 'b' to the list"), d.get(1).message());
        assertTrue(d.get(2).message().contains("an element of 'arr'"), d.get(2).message());
    }

    @Test
    void theMessageShowsTheSourceLineAndACaret() {
        ScriptException e = assertThrows(ScriptException.class, () -> Scripts.parse("let a = 1;\nlet b = a + c;\n"));
        assertEquals("test.ppl:2:13: undeclared variable 'c'\n    let b = a + c;\n                ^\n1 error in test.ppl",
                e.getMessage().replace("\r\n", "\n"));
    }

    @Test
    void everyStaticErrorIsReportedInOnePass() {
        List<Diagnostic> d = errors(String.join("\n",
                "let x = 1;",                         // 1
                "let x = 2;",                         // 2 redeclared
                "y = 3;",                             // 3 undeclared assignment
                "break;",                             // 4 break outside a loop
                "if true { fn g() { return 1; } }",   // 5 fn below top level
                "if true { param p = 1; }",           // 6 param below top level
                "let z = nosuch(1);",                 // 7 undeclared function
                "let w = f(1, 2);",                   // 8 wrong number of arguments
                "fn f(a) { continue; return q; }",    // 9 continue outside loop; undeclared q
                "let s = sample(Normal(0, 1), nme: \"s\");", // 10 unknown named argument
                "let v = exp(1, 2);",                 // 11 builtin arity
                "fn f(b) { return b; }"));            // 12 duplicate function
        assertEquals("2:5 3:1 4:1 5:11 6:11 7:9 8:9 9:11 9:28 10:30 11:9 12:4", places(d), d.toString());
        assertEquals("'x' is already declared in this block; assign it with 'x = ...' or choose another name", d.get(0).message());
        assertEquals("undeclared variable 'y'; declare it first with 'let y = ...'", d.get(1).message());
        assertEquals("'break' is only allowed inside a loop", d.get(2).message());
        assertTrue(d.get(3).message().startsWith("'fn' declarations are only allowed at the top level"));
        assertTrue(d.get(4).message().startsWith("'param' declarations are only allowed at the top level"));
        assertEquals("undeclared function 'nosuch'", d.get(5).message());
        assertEquals("f takes 1 argument, got 2 positional arguments", d.get(6).message());
        assertEquals("sample takes no argument 'nme:'; it takes name:, control:", d.get(9).message());
        assertEquals("exp takes 1 argument, got 2 positional arguments", d.get(10).message());
        assertEquals("function 'f' is already declared", d.get(11).message());
    }

    private static String runError(String text) {
        return assertThrows(ModelException.class, () -> Inference.prior(Scripts.model(text)).traces(5).seed(7).threads(1).run())
                .getMessage().replace("\r\n", "\n");
    }

    @Test
    void runtimeErrorsNameThePlaceAndTheRun() {
        String m = runError("let sd = -1;\nlet x = sample(Normal(0, sd), name: \"x\");\n");
        assertEquals("test.ppl:2:16: Normal: stddev must be positive and finite, got -1.0 (in run 0 of seed 7)"
                + "\n    let x = sample(Normal(0, sd), name: \"x\");\n                   ^", m);
        assertTrue(runError("let a = [1, 2];\nreturn a[2];").startsWith("test.ppl:2:10: index 2 is out of range for length 2 (in run 0"));
        assertTrue(runError("let x = 9223372036854775807;\nreturn x + 1;").startsWith("test.ppl:2:10: integer overflow in '+'"));
        assertTrue(runError("let x = 3;\nreturn x * 9223372036854775807;").startsWith("test.ppl:2:10: integer overflow in '*'"));
        assertTrue(runError("return 1 + true;").startsWith("test.ppl:1:10: '+' needs numbers, got the boolean true"));
        assertTrue(runError("if 1 { return 0; }").startsWith("test.ppl:1:4: the condition of 'if' must be true or false, got the integer 1"));
        assertTrue(runError("return sample(3);").startsWith("test.ppl:1:15: sample needs a distribution, got the integer 3"));
    }

    @Test
    void aDistributionOfLiteralsIsMadeOnceAndItsBadArgumentsStillFailWhereTheyRun() {
        // Beta(2, 2) of number literals is made when the script is compiled: every run draws from
        // that one distribution; Beta(2, k) of a variable is made at each call.
        var runs = Inference.prior(Scripts.model("let k = 2;\nlet f = sample(Beta(2, 2), name: \"f\");\nlet g = sample(Beta(2, k), name: \"g\");\n"
                + "let h = sample(Normal(-1, 0.5), name: \"h\");\n")).traces(2).seed(1).keepTraces(true).threads(1).run().traces();
        assertSame(runs.get(0).variables().get(0).distribution(), runs.get(1).variables().get(0).distribution());
        assertNotSame(runs.get(0).variables().get(1).distribution(), runs.get(1).variables().get(1).distribution());
        assertSame(runs.get(0).variables().get(2).distribution(), runs.get(1).variables().get(2).distribution());
        assertEquals(-1.0, runs.get(0).variables().get(2).distribution().mean());
        // Literals a constructor rejects: no error when the script is read or where the call is not
        // reached; the same error, at the call, where it runs.
        String bad = "if false { sample(Beta(0, 2)); }\nlet x = sample(Beta(0, 2), name: \"x\");\n";
        Scripts.parse(bad);
        assertEquals("test.ppl:2:16: " + assertThrows(IllegalArgumentException.class, () -> dev.probe.runtime.distribution.Beta.of(0, 2)).getMessage()
                + " (in run 0 of seed 7)\n    let x = sample(Beta(0, 2), name: \"x\");\n                   ^", runError(bad));
    }

    @Test
    void endlessLoopsAndRecursionStopAtTheLimits() {
        String loop = assertThrows(RunException.class, () -> Inference.prior(
                Scripts.parse("let x = 0;\nwhile true { x = x + 1; }").model(Map.of(), 10_000, 100)).traces(1).seed(1).run()).getMessage();
        // The loop body counts as a step each time round, so even an empty loop stops.
        assertTrue(loop.startsWith("test.ppl:2:12: the run took more than 10000 statements (maxSteps)"), loop);
        assertTrue(assertThrows(RunException.class, () -> Inference.prior(Scripts.parse("while true { }").model(Map.of(), 1000, 100))
                .traces(1).seed(1).run()).getMessage().contains("more than 1000 statements"));
        String deep = assertThrows(RunException.class, () -> Inference.prior(
                Scripts.parse("fn f(n) { return f(n + 1); }\nreturn f(0);").model()).traces(1).seed(1).run()).getMessage();
        assertTrue(deep.startsWith("test.ppl:1:18: calls nest deeper than 1000 (maxDepth)"), deep);
    }

    @Test
    void aMissingObservationNamesItAndTheFix() {
        String m = assertThrows(ModelException.class, () -> Inference.importanceSampling(
                Scripts.model("let m = sample(Normal(0, 1), name: \"m\");\nobserve(Normal(m, 1), name: \"y\");")).traces(3).seed(2).run())
                .getMessage();
        assertTrue(m.startsWith("test.ppl:2:1: no value was given for observation 'y': give one with .observe(\"y\", value)"), m);
    }

    @Test
    void unknownParamsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Scripts.parse("param n = 1;\nreturn n;").model(Map.of("m", 2L), 10, 10));
        assertEquals("test.ppl has no param 'm'; it declares n", e.getMessage());
    }
}
