package dev.probe.language;

import static dev.probe.language.Scripts.result;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.junit.jupiter.api.Test;

import dev.probe.language.grammar.ProbeLexer;
import dev.probe.language.grammar.ProbeParser;
import dev.probe.runtime.model.ModelException;

/**
 * Float arithmetic compiled to bytecode once it runs {@link FloatCode#HOT} times gives what the
 * tree walk gives, to the bit, before and after, and whatever its variables hold.
 */
class FloatCodeTest {

    /** Iterations: well past the point where the trees are compiled. */
    private static final int N = 3 * FloatCode.HOT;

    @Test
    void compiledArithmeticMatchesJavaToTheBit() {
        double[] got = (double[]) result("let out = [];\n"
                + "let x = 0.1;\n"
                + "for k in 0.." + N + " {\n"
                + "  x = x * 1.0001 + 0.5;\n"
                + "  let y = -x / 3 + 2 * x - (x - 1) * 0.7;\n"
                + "  let z = (x - x) * -1.0 + y * (1 / x);\n"   // -0.0 + a product: the sign of zero survives
                + "  out = append(out, y);\n"
                + "  out = append(out, z);\n"
                + "}\n"
                + "return out;");
        double[] expected = new double[2 * N];
        double x = 0.1;
        for (int k = 0; k < N; k++) {
            x = x * 1.0001 + 0.5;
            double y = -x / 3 + 2 * x - (x - 1) * 0.7;
            double z = (x - x) * -1.0 + y * (1 / x);
            expected[2 * k] = y;
            expected[2 * k + 1] = z;
        }
        assertArrayEquals(expected, got);
    }

    @Test
    void theCompilerMarksTheLargestFloatTreeAndItsCodeAgreesWithTheWalk() {
        Compiler.Program p = new Compiler().compile(new ProbeParser(new CommonTokenStream(new ProbeLexer(CharStreams.fromString(
                "let a = 0.3; let b = 7.0; let c = -(a - 2) * b / 3.0 + a * a - 1 + (b - 1);")))).program());
        Nodes.Expr value = ((Nodes.SetLocal) p.main[2]).value;
        assertTrue(value instanceof Nodes.FloatTree, "the whole right side is one tree: " + value);
        Nodes.Expr tree = ((Nodes.FloatTree) value).tree;
        FloatCode code = FloatCode.compile(tree);
        double[][] cases = {{0.3, 7.0}, {-0.0, 1e308}, {Double.NaN, 2.5}, {1e-320, -0.0}, {Double.POSITIVE_INFINITY, 3.0}};
        for (double[] ab : cases) {
            Object[] slots = {new Nodes.FloatCell(ab[0]), ab[1], null};   // a cell and a boxed float: both are read
            Nodes.Frame f = new Nodes.Frame(slots, new Nodes.Run(null, Long.MAX_VALUE, 10), CallContext.root(), "main");
            // Bits, with every NaN as one: the JVM leaves a NaN's sign and payload unspecified (the
            // JIT may commute an operation's operands), and no script or record can tell NaNs apart.
            assertEquals(Double.doubleToLongBits(tree.evalFloat(f)), Double.doubleToLongBits(code.eval(slots)),
                    "a = " + ab[0] + ", b = " + ab[1]);
        }
        assertThrows(FloatCode.NotFloat.class, () -> code.eval(new Object[] {1L, 2.0, null}));
    }

    @Test
    void aVariableHoldingAnIntegerTakesTheTreeWalkAndKeepsIntegerArithmetic() {
        // v alternates between an integer and a float: the compiled code gives up on the integers.
        double[] got = (double[]) result("let out = [];\n"
                + "for k in 0.." + N + " {\n"
                + "  let v = k % 2 == 0 ? k : k + 0.5;\n"
                + "  out = append(out, v * 2 - v / 4 + 1);\n"
                + "}\n"
                + "return out;");
        double[] expected = new double[N];
        for (int k = 0; k < N; k++) {
            expected[k] = k % 2 == 0 ? (double) (k * 2L) - k / 4.0 + 1 : (k + 0.5) * 2 - (k + 0.5) / 4 + 1;
        }
        assertArrayEquals(expected, got);
        // Integers only: the same tree shape stays integer arithmetic, compiled or not.
        long[] ints = (long[]) result("let out = [];\n"
                + "for k in 0.." + N + " { out = append(out, k * 2 + 1 - k); }\n"
                + "return out;");
        for (int k = 0; k < N; k++) {
            assertEquals(k + 1L, ints[k]);
        }
    }

    @Test
    void aStringReachingCompiledCodeFailsAsTheTreeWalkWould() {
        ModelException e = assertThrows(ModelException.class, () -> result("let x = 1.5;\n"
                + "for k in 0.." + N + " {\n"
                + "  if k == " + (N - 1) + " { x = \"a\"; }\n"
                + "  let y = x * 2.0 - x / 3.0;\n"
                + "}\n"
                + "return 0;"));
        assertTrue(e.getMessage().contains("test.ppl:4:13: '*' needs numbers, got the string \"a\""), e.getMessage());
    }

    @Test
    void floatVariablesStayDistinctAfterCopies() {
        // A copy of a float variable is a value, not a shared cell: changing one leaves the other.
        assertEquals(3.0, result("let a = 1.5; let b = a; a = a * 2.0 + 0.0; return a - b + b * 1.0;"));
        assertArrayEquals(new double[] {1.5, 3.0}, (double[]) result("let a = 1.5 * 1.0 + 0.0; let arr = [a]; a = a * 2.0 + 0.0;"
                + " return append(arr, a);"));
    }
}
