package dev.probe.language;

import static dev.probe.language.Scripts.result;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/** Each construct of LANGUAGE.md, by what a script computes with it. */
class LanguageTest {

    @Test
    void numbersMixAsSpecified() {
        assertEquals(7L, result("return 1 + 2 * 3;"));
        assertEquals(2.5, result("return 1 + 1.5;"));
        assertEquals(0.5, result("return 1 / 2;"));
        assertEquals(1L, result("return 7 % 3;"));
        assertEquals(3L, result("return div(7, 2);"));
        assertEquals(-4L, result("return div(-7, 2);"));
        assertEquals(-4L, result("return -2 ** 2;"));
        assertEquals(512L, result("return 2 ** 3 ** 2;"));
        assertEquals(0.5, result("return 2 ** -1;"));
        assertEquals(true, result("return 1 == 1.0;"));
        assertEquals(true, result("return 2 < 2.5 && 3 >= 3;"));
        assertEquals(25000.0, result("return 2.5E+4;"));
        assertEquals(0.001, result("return 1e-3;"));
        assertEquals(9223372036854775807L, result("return 9223372036854775807;"));
        // A variable against an integer constant has its own fast path; floats still mix.
        assertEquals(1.5, result("let x = 2.5; return x - 1;"));
        assertEquals(true, result("let x = 2.5; return x < 3;"));
        assertEquals("a1", result("let x = \"a\"; return x + 1;"));
    }

    @Test
    void stringsConcatenateAndEscape() {
        assertEquals("n = 3", result("return \"n = \" + 3;"));
        assertEquals("a\"b\\c\nd\te", result("return \"a\\\"b\\\\c\\nd\\te\";"));
        assertEquals("[1, 2]x", result("return str([1, 2]) + \"x\";"));
        assertEquals(true, result("return \"ab\" == \"a\" + \"b\";"));
    }

    @Test
    void logicShortCircuitsAndTheConditionalChooses() {
        // The right side would fail (index out of range) if it were evaluated.
        assertEquals(false, result("let a = [1]; return false && a[5] == 1;"));
        assertEquals(true, result("let a = [1]; return true || a[5] == 1;"));
        assertEquals("big", result("let x = 5; return x > 3 ? \"big\" : \"small\";"));
        assertEquals(true, result("return !false;"));
    }

    @Test
    void arraysAreMutableAndSharedByReference() {
        assertArrayEquals(new long[] {1, 9, 3}, (long[]) result("let a = [1, 2, 3]; let b = a; b[1] = 9; return a;"));
        assertArrayEquals(new long[] {5, 7}, (long[]) result("let m = [[1, 2], [3, 4]]; m[1][0] = 5; return [m[1][0], m[0][0] + 6];"));
        assertArrayEquals(new long[] {1, 2, 3}, (long[]) result("let a = [1, 2]; let b = append(a, 3); return b;"));
        assertEquals(2L, result("let a = [1, 2]; let b = append(a, 3); return len(a);"));
        assertArrayEquals(new double[] {0, 0, 0}, (double[]) result("return zeros(3);"));
        assertArrayEquals(new boolean[] {true, true}, (boolean[]) result("return fill(2, true);"));
    }

    @Test
    void loopsBreakAndContinue() {
        assertEquals(10L, result("let s = 0; for i in 0..5 { s = s + i; } return s;"));
        assertEquals(6L, result("let s = 0; for v in [1, 2, 3] { s = s + v; } return s;"));
        assertEquals(4L, result("let s = 0; for i in 0..10 { if i == 3 { continue; } if i == 5 { break; } s = s + 1; } return s;"));
        assertEquals(16L, result("let x = 1; while x < 10 { x = x * 2; } return x;"));
        assertEquals(0L, result("let s = 0; for i in 5..2 { s = s + 1; } return s;"));
    }

    @Test
    void functionsRecurseAndMayBeUsedBeforeTheirDeclaration() {
        assertEquals(89L, result("return fib(10);\nfn fib(n) { if n < 2 { return 1; } return fib(n - 1) + fib(n - 2); }"));
        assertEquals(12L, result("param k = 4;\nfn times(x) { return x * k; }\nreturn times(3);"));
        assertEquals(1L, result("fn f() { return; }\nlet x = 1; f(); return x;"));
    }

    @Test
    void blocksShadowAndScopesEnd() {
        assertEquals(1L, result("let x = 1; if true { let x = 2; x = 3; } return x;"));
        assertEquals(5L, result("let x = 1; if true { x = 5; } return x;"));
    }

    @Test
    void paramsTakeTheirDefaultOrTheUsersValue() {
        Script s = Scripts.parse("param n = 3;\nparam scale = 2.0;\nreturn n * scale;");
        assertEquals(List.of("n", "scale"), s.params());
        assertEquals(6.0, Scripts.run(s.model(), Map.of()).result());
        assertEquals(20.0, Scripts.run(s.model(Map.of("n", 10L), Script.DEFAULT_MAX_STEPS, Script.DEFAULT_MAX_DEPTH), Map.of()).result());
    }

    @Test
    void aParamArrayIsFreshInEveryRun() {
        // Arrays are mutable; a param's value must not carry one run's changes into the next.
        Script s = Scripts.parse("param xs = [0];\nxs[0] = xs[0] + 1;\nreturn xs[0];");
        for (Map<String, ?> params : List.<Map<String, ?>>of(Map.of(), Map.of("xs", List.of(5)))) {
            Posterior p = Inference.prior(s.model(params, Script.DEFAULT_MAX_STEPS, Script.DEFAULT_MAX_DEPTH))
                    .traces(50).seed(1).threads(2).run();
            long expected = params.isEmpty() ? 1 : 6;
            for (int i = 0; i < p.size(); i++) {
                assertEquals(expected, p.resultValue(i), "run " + i);
            }
        }
    }

    @Test
    void builtinsCompute() {
        assertEquals(Math.exp(1), result("return exp(1);"));
        assertEquals(2L, result("return floor(2.7);"));
        assertEquals(3L, result("return ceil(2.1);"));
        assertEquals(3L, result("return round(2.6);"));
        assertEquals(3L, result("return max(1, 3, 2);"));
        assertEquals(1.5, result("return min([2.5, 1.5]);"));
        assertEquals(2L, result("return clamp(5, 0, 2);"));
        assertEquals(0.5, result("return sigmoid(0);"));
        assertEquals(6L, result("return sum([1, 2, 3]);"));
        assertEquals(2.0, result("return mean([1, 2, 3]);"));
        assertEquals(3L, result("return int(3.9);"));
        assertEquals(3.0, result("return float(3);"));
        assertEquals(3L, result("return abs(-3);"));
        assertEquals(8.0, result("return pow(2, 3.0);"));
        assertEquals(Math.PI, result("return PI;"));
        assertEquals(Double.POSITIVE_INFINITY, result("return INF;"));
        assertEquals(Math.atan2(1, 2), result("return atan2(1, 2);"));
        assertEquals(Math.log1p(0.5), result("return log1p(0.5);"));
    }

    @Test
    void distributionsAreFirstClassValues() {
        Trace t = Scripts.run("let d = Normal(0, 1); let ds = [d, Poisson(3)]; let x = sample(ds[0], name: \"x\"); return x;");
        assertEquals("Normal", t.variable("x").distribution().kind());
        Trace v = Scripts.run("let xs = sample(Normal([0, 10, 20], 1), name: \"v\"); return xs;");
        assertEquals(3, ((double[]) v.result()).length);
        Trace b = Scripts.run("return sample(Bernoulli([0, 1]), name: \"b\");");
        assertArrayEquals(new boolean[] {false, true}, (boolean[]) b.result());
        Trace m = Scripts.run("return sample(Mixture([1, 1], [Normal(-5, 1), Normal(5, 1)]), name: \"m\");");
        assertTrue(m.result() instanceof Double);
        Trace mvn = Scripts.run("return sample(MultivariateNormal([0, 0], [[1, 0.5], [0.5, 1]]), name: \"z\");");
        assertEquals(2, ((double[]) mvn.result()).length);
    }

    @Test
    void observeFactorAndTag() {
        Trace t = Scripts.run("let mu = sample(Normal(0, 1), name: \"mu\");\nobserve(Normal(mu, 1), 2.5);\nfactor(-1.5);\n"
                + "tag(mu * 2, name: \"double\");\nreturn observe(Normal(mu, 1), name: \"y\");");
        double mu = (Double) t.variable("mu").value();
        assertEquals(2 * mu, t.variable("double").value());
        assertEquals(Variable.Role.TAG, t.variable("double").role());
        // log likelihood: the fixed observation, the simulated one, and the factor.
        double lik = -0.5 * (2.5 - mu) * (2.5 - mu) - 0.5 * Math.log(2 * Math.PI) - 1.5 + t.variable("y").logProb();
        assertEquals(lik, t.logLikelihood(), 1e-12);
        assertEquals(t.variable("y").value(), t.result());
    }

    @Test
    void controlFalseIsRecorded() {
        Trace t = Scripts.run("return sample(Normal(0, 1), name: \"noise\", control: false);");
        assertEquals(false, t.variable("noise").controlled());
    }

    @Test
    void unnamedAddressesFollowTheCallChain() {
        String script = "fn fib(n) {\n  if n < 2 { return sample(Poisson(1)); }\n  return fib(n - 1) + fib(n - 2);\n}\nlet a = sample(Normal(0, 1));\nreturn fib(2);";
        Trace t = Scripts.run(script);
        List<Variable> s = t.samples();
        assertEquals("main@5:9#Normal", s.get(0).address().key());
        // fib(2) calls fib(1) at 3:10 and fib(0) at 3:23, each sampling at 2:21.
        assertEquals("fib@2:21/fib@3:10/main@6:8#Poisson", s.get(1).address().key());
        assertEquals("fib@2:21/fib@3:23/main@6:8#Poisson", s.get(2).address().key());
        // The same path gives the same address object in every run.
        Trace again = Scripts.run(Scripts.model(script), Map.of());
        assertEquals(s.get(1).address(), again.samples().get(1).address());
    }

    @Test
    void repeatedNamesMakeInstances() {
        Posterior p = Inference.prior(Scripts.model("for i in 0..3 { sample(Normal(i, 0.1), name: \"x\"); } return 0;"))
                .traces(10).seed(1).run();
        assertEquals(List.of("x[0]", "x[1]", "x[2]"), p.names());
    }

    @Test
    void returnAtTheTopLevelEndsTheRun() {
        assertEquals(1L, result("return 1;\nreturn 2;"));
        assertNull(result("let x = 1;"));
        assertNull(result("return;"));
    }

    @Test
    void commentsAreIgnored() {
        assertEquals(3L, result("// a comment\nlet x = /* inline */ 3; /* a\nblock */ return x;"));
    }

    @Test
    void theExamplesOfLanguageMdRunThroughEveryEngine() {
        Script gaussian = Scripts.parse("// Gaussian with unknown mean (conjugate: the posterior is known exactly).\n"
                + "let mu = sample(Normal(1, sqrt(5)), name: \"mu\");\n"
                + "observe(Normal(mu, sqrt(2)), name: \"obs0\");\n"
                + "observe(Normal(mu, sqrt(2)), name: \"obs1\");\n"
                + "return mu;\n");
        Posterior p = Inference.importanceSampling(gaussian.model()).observe("obs0", 8).observe("obs1", 9).traces(100_000).seed(1).run();
        // Exact N(7.25, 0.9129); 5 standard errors at the run's ESS.
        assertEquals(7.25, p.marginal("mu").mean(), 5 * 0.9129 / Math.sqrt(p.ess()));
    }
}
