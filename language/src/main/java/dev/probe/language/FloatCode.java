package dev.probe.language;

import java.io.ByteArrayOutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashMap;
import java.util.Map;

import dev.probe.language.Nodes.Expr;

/**
 * Float arithmetic compiled to JVM bytecode: a tree of {@code + - * /} and negation over
 * variables and constants ({@link #compilable}) becomes one straight-line method, so that the JIT
 * keeps every intermediate in a register instead of the tree walk's call per node. A variable
 * that holds no float when the code runs makes it give up ({@link NotFloat}), and the tree is
 * walked instead. Both do the same IEEE operations in the same order, so the result is the same
 * to the bit whichever runs.
 */
abstract class FloatCode {

    /** Evaluations of a tree after which it is compiled: rarely run code is not worth a class. */
    static final int HOT = 200;

    /** Give-ups after which a tree's code is dropped: its variables are seldom floats. */
    static final int MAX_MISSES = 100;

    /** The largest tree compiled (operators and operands), well inside a method's 64 KiB of code. */
    private static final int MAX_NODES = 2000;

    /** The tree's value, given the frame's slots; throws {@link NotFloat#INSTANCE} if a variable holds no float. */
    public abstract double eval(Object[] slots);

    /** A compiled tree met a variable holding no float. Thrown preallocated: it is control flow, not an error. */
    static final class NotFloat extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final NotFloat INSTANCE = new NotFloat();

        private NotFloat() {
            super(null, null, false, false);
        }
    }

    /** A slot's float, as compiled code reads it. */
    static double floatIn(Object v) {
        if (v instanceof Nodes.FloatCell) {
            return ((Nodes.FloatCell) v).value;
        }
        if (v instanceof Double) {
            return (Double) v;
        }
        throw NotFloat.INSTANCE;
    }

    /**
     * Whether {@code e} gives a float whenever every variable in it holds one: float constants,
     * variables, negation, and {@code + - * /} of two such operands or of one and an integer
     * constant (which then meets a float, as the float it equals).
     */
    static boolean compilable(Expr e) {
        if (e instanceof Nodes.FloatTree) {
            return compilable(((Nodes.FloatTree) e).tree);
        }
        if (e instanceof Nodes.Const) {
            return ((Nodes.Const) e).value instanceof Double;
        }
        if (e instanceof Nodes.Local) {
            return ((Nodes.Local) e).slot <= Short.MAX_VALUE;   // the code loads a slot's index with sipush
        }
        if (e instanceof Nodes.Unary) {
            Nodes.Unary u = (Nodes.Unary) e;
            return u.negate && compilable(u.operand);
        }
        if (e instanceof Nodes.LocalOpConst) {
            return ((Nodes.LocalOpConst) e).code <= Ops.DIVIDE && ((Nodes.LocalOpConst) e).slot <= Short.MAX_VALUE;
        }
        if (e instanceof Nodes.Binary) {
            Nodes.Binary b = (Nodes.Binary) e;
            return b.code <= Ops.DIVIDE && (compilable(b.left) && (compilable(b.right) || integer(b.right))
                    || integer(b.left) && compilable(b.right));
        }
        return false;
    }

    /** The operators in a {@link #compilable} tree. */
    static int operators(Expr e) {
        if (e instanceof Nodes.FloatTree) {
            return operators(((Nodes.FloatTree) e).tree);
        }
        if (e instanceof Nodes.Unary) {
            return 1 + operators(((Nodes.Unary) e).operand);
        }
        if (e instanceof Nodes.LocalOpConst) {
            return 1;
        }
        if (e instanceof Nodes.Binary) {
            return 1 + operators(((Nodes.Binary) e).left) + operators(((Nodes.Binary) e).right);
        }
        return 0;
    }

    private static boolean integer(Expr e) {
        return e instanceof Nodes.Const && ((Nodes.Const) e).value instanceof Long;
    }

    /** The code of a {@link #compilable} tree, or null if the tree is too large to compile. */
    static FloatCode compile(Expr tree) {
        if (2 * operators(tree) + 1 > MAX_NODES) {
            return null;
        }
        Assembler a = new Assembler();
        byte[] bytes = a.classFile(tree);
        try {
            MethodHandles.Lookup hidden = MethodHandles.lookup().defineHiddenClass(bytes, true);
            return (FloatCode) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("compiling float arithmetic at line " + tree.line + ":" + tree.col + " failed: " + e, e);
        }
    }

    /** Writes the class file of a subclass whose {@code eval} computes one tree. */
    private static final class Assembler {
        private static final String SELF = "dev/probe/language/FloatCode$Compiled";
        private static final String SUPER = "dev/probe/language/FloatCode";

        private final ByteArrayOutputStream pool = new ByteArrayOutputStream();
        private final Map<Object, Integer> entries = new HashMap<>();
        private int poolCount = 1;

        byte[] classFile(Expr tree) {
            int self = classRef(SELF);
            int zuper = classRef(SUPER);
            int superInit = methodRef(zuper, "<init>", "()V");
            int floatIn = methodRef(classRef("dev/probe/language/FloatCode"), "floatIn", "(Ljava/lang/Object;)D");
            int codeName = utf8("Code");
            int initName = utf8("<init>");
            int initType = utf8("()V");
            int evalName = utf8("eval");
            int evalType = utf8("([Ljava/lang/Object;)D");

            ByteArrayOutputStream body = new ByteArrayOutputStream();
            emit(tree, body, floatIn);
            body.write(0xaf);   // dreturn

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            u4(out, 0xCAFEBABE);
            u2(out, 0);
            u2(out, 61);   // Java 17: straight-line code needs no stack map
            u2(out, poolCount);
            out.writeBytes(pool.toByteArray());
            u2(out, 0x0010 | 0x0020);   // final, super
            u2(out, self);
            u2(out, zuper);
            u2(out, 0);   // interfaces
            u2(out, 0);   // fields
            u2(out, 2);   // methods
            byte[] init = {0x2a, (byte) 0xb7, (byte) (superInit >> 8), (byte) superInit, (byte) 0xb1};   // aload_0, invokespecial, return
            method(out, 0x0001, initName, initType, codeName, 1, 1, init);
            method(out, 0x0001, evalName, evalType, codeName, depth(tree), 2, body.toByteArray());
            u2(out, 0);   // attributes
            return out.toByteArray();
        }

        private static void method(ByteArrayOutputStream out, int access, int name, int type, int codeName, int maxStack,
                int maxLocals, byte[] code) {
            u2(out, access);
            u2(out, name);
            u2(out, type);
            u2(out, 1);
            u2(out, codeName);
            u4(out, 12 + code.length);
            u2(out, maxStack);
            u2(out, maxLocals);
            u4(out, code.length);
            out.writeBytes(code);
            u2(out, 0);   // exception table
            u2(out, 0);   // attributes
        }

        /** Pushes the tree's value (a double) in the order the tree walk evaluates it. */
        private void emit(Expr e, ByteArrayOutputStream code, int floatIn) {
            if (e instanceof Nodes.FloatTree) {
                emit(((Nodes.FloatTree) e).tree, code, floatIn);
            } else if (e instanceof Nodes.Const) {
                constant(code, ((Number) ((Nodes.Const) e).value).doubleValue());
            } else if (e instanceof Nodes.Local) {
                variable(code, ((Nodes.Local) e).slot, floatIn);
            } else if (e instanceof Nodes.Unary) {
                emit(((Nodes.Unary) e).operand, code, floatIn);
                code.write(0x77);   // dneg
            } else if (e instanceof Nodes.LocalOpConst) {
                Nodes.LocalOpConst c = (Nodes.LocalOpConst) e;
                variable(code, c.slot, floatIn);
                constant(code, (double) c.constant);
                code.write(operator(c.code));
            } else {
                Nodes.Binary b = (Nodes.Binary) e;
                emit(b.left, code, floatIn);
                emit(b.right, code, floatIn);
                code.write(operator(b.code));
            }
        }

        /** The stack the tree's code needs, in words (a double takes two). */
        private static int depth(Expr e) {
            if (e instanceof Nodes.FloatTree) {
                return depth(((Nodes.FloatTree) e).tree);
            }
            if (e instanceof Nodes.Unary) {
                return depth(((Nodes.Unary) e).operand);
            }
            if (e instanceof Nodes.LocalOpConst) {
                return 4;
            }
            if (e instanceof Nodes.Binary) {
                Nodes.Binary b = (Nodes.Binary) e;
                return Math.max(depth(b.left), 2 + depth(b.right));
            }
            return 2;
        }

        private static int operator(int code) {
            switch (code) {
                case 0:
                    return 0x63;   // dadd
                case 1:
                    return 0x67;   // dsub
                case 2:
                    return 0x6b;   // dmul
                default:
                    return 0x6f;   // ddiv
            }
        }

        private void variable(ByteArrayOutputStream code, int slot, int floatIn) {
            code.write(0x2b);   // aload_1: the slots
            code.write(0x11);   // sipush
            u2(code, slot);
            code.write(0x32);   // aaload
            code.write(0xb8);   // invokestatic floatIn
            u2(code, floatIn);
        }

        private void constant(ByteArrayOutputStream code, double value) {
            code.write(0x14);   // ldc2_w
            u2(code, doubleConstant(value));
        }

        private int utf8(String s) {
            return entry("utf8:" + s, () -> {
                pool.write(1);
                byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                u2(pool, b.length);
                pool.writeBytes(b);
            }, 1);
        }

        private int classRef(String name) {
            int n = utf8(name);
            return entry("class:" + name, () -> {
                pool.write(7);
                u2(pool, n);
            }, 1);
        }

        private int methodRef(int owner, String name, String type) {
            int n = utf8(name);
            int t = utf8(type);
            int nameAndType = entry("nat:" + name + type, () -> {
                pool.write(12);
                u2(pool, n);
                u2(pool, t);
            }, 1);
            return entry("method:" + owner + ":" + name + type, () -> {
                pool.write(10);
                u2(pool, owner);
                u2(pool, nameAndType);
            }, 1);
        }

        /** Keyed by the bits, so that 0.0 and -0.0 stay two constants. */
        private int doubleConstant(double v) {
            long bits = Double.doubleToRawLongBits(v);
            return entry(bits, () -> {
                pool.write(6);
                u4(pool, (int) (bits >>> 32));
                u4(pool, (int) bits);
            }, 2);
        }

        private int entry(Object key, Runnable write, int size) {
            Integer index = entries.get(key);
            if (index == null) {
                write.run();
                index = poolCount;
                poolCount += size;
                entries.put(key, index);
            }
            return index;
        }

        private static void u2(ByteArrayOutputStream out, int v) {
            out.write(v >> 8);
            out.write(v);
        }

        private static void u4(ByteArrayOutputStream out, int v) {
            u2(out, v >>> 16);
            u2(out, v);
        }
    }
}
