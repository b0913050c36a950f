package dev.probe.language;

import java.util.List;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.ModelException;

/**
 * The executable tree of a checked script: each expression evaluates itself and each statement
 * executes itself against a {@link Frame}. Variables were resolved to slots by the compiler, so
 * no name is looked up at run time.
 */
final class Nodes {

    private Nodes() {
    }

    /** What a statement tells its enclosing block. */
    static final int NORMAL = 0;
    static final int BREAK = 1;
    static final int CONTINUE = 2;
    static final int RETURN = 3;

    /** The state of one run: the model's context, the limits, the globals. */
    static final class Run {
        /** The context samples go through: the engine's, or another while a rejection loop's body runs. */
        Context ctx;
        final long maxSteps;
        final int maxDepth;
        long steps;
        int depth;
        Object[] globals;

        Run(Context ctx, long maxSteps, int maxDepth) {
            this.ctx = ctx;
            this.maxSteps = maxSteps;
            this.maxDepth = maxDepth;
        }
    }

    /**
     * One activation of the main program or a function. Its call context (the chain of call sites
     * that addresses need) is found only when an unnamed sample asks for it, so calls that sample
     * nothing by address cost no look-up.
     */
    static final class Frame {
        final Object[] slots;
        final Run run;
        final String function;
        private final Frame caller;
        private final Call site;
        private CallContext context;
        Object returned;
        /**
         * Set by {@link Expr#evalFloat} when the value was not a float, which is then in
         * {@link #other}; whoever reads it clears both.
         */
        boolean notFloat;
        Object other;

        /** The main program's frame. */
        Frame(Object[] slots, Run run, CallContext root, String function) {
            this.slots = slots;
            this.run = run;
            this.context = root;
            this.function = function;
            this.caller = null;
            this.site = null;
        }

        /** A function's frame, called from {@code caller} at {@code site}. */
        Frame(Object[] slots, Frame caller, Call site, String function) {
            this.slots = slots;
            this.run = caller.run;
            this.function = function;
            this.caller = caller;
            this.site = site;
        }

        CallContext context() {
            CallContext c = context;
            if (c == null) {
                c = caller.context().child(site, caller.function, site.line, site.col);
                context = c;
            }
            return c;
        }
    }

    /**
     * A slot's float, stored unboxed: assigning a float to a slot that holds a cell overwrites the
     * cell's value, so a float variable updated in a loop costs no allocation. A cell never leaves
     * its slot: whatever reads a slot as a value gets a {@code Double} ({@link #value}), so that no
     * two variables, arrays or recorded values share one.
     */
    static final class FloatCell {
        double value;

        FloatCell(double value) {
            this.value = value;
        }
    }

    /** What slot content {@code v} holds as a script value. */
    static Object value(Object v) {
        return v instanceof FloatCell ? (Object) ((FloatCell) v).value : v;
    }

    /** A node with a place in the source. */
    abstract static class Node {
        final int line;
        final int col;

        Node(int line, int col) {
            this.line = line;
            this.col = col;
        }

        ScriptError error(String message) {
            return new ScriptError(line, col, message, null, null);
        }

        /** An error caused by the runtime's exception {@code cause}, with its message. */
        ScriptError error(RuntimeException cause) {
            return new ScriptError(line, col, cause.getMessage(), cause, null);
        }

        ScriptError limitReached(ScriptLimitException.Limit limit, String message) {
            return new ScriptError(line, col, message, null, limit);
        }
    }

    abstract static class Expr extends Node {
        Expr(int line, int col) {
            super(line, col);
        }

        abstract Object eval(Frame f);

        /**
         * The value as a primitive where it is a float, so that float arithmetic nests without
         * boxing every intermediate result; any other value is left in {@code f.other} with
         * {@code f.notFloat} set, for the caller to take (and clear) instead.
         */
        double evalFloat(Frame f) {
            return spill(f, eval(f));
        }

        /**
         * Whether {@link #evalFloat} is this node's own (float arithmetic, a float constant, a
         * variable) rather than {@link #eval} unboxed: then assigning the node's value to a
         * variable keeps it unboxed.
         */
        boolean floatNative() {
            return false;
        }

        /** {@code v} as a float, or left in the frame as {@link #evalFloat} says. */
        static double spill(Frame f, Object v) {
            if (v instanceof Double) {
                return (Double) v;
            }
            f.other = v;
            f.notFloat = true;
            return 0;
        }

        /** Takes the value {@link #evalFloat} left in the frame. */
        static Object taken(Frame f) {
            Object v = f.other;
            f.other = null;
            f.notFloat = false;
            return v;
        }

        final double number(Frame f, String what) {
            Object v = eval(f);
            if (v instanceof Double) {
                return (Double) v;
            }
            if (v instanceof Long) {
                return (Long) v;
            }
            throw error(what + " must be a number, got " + Ops.describe(v));
        }

        final boolean bool(Frame f, String what) {
            Object v = eval(f);
            if (v instanceof Boolean) {
                return (Boolean) v;
            }
            throw error(what + " must be true or false, got " + Ops.describe(v));
        }
    }

    abstract static class Stmt extends Node {
        Stmt(int line, int col) {
            super(line, col);
        }

        /** Counts the step, then executes. */
        final int run(Frame f) {
            Run r = f.run;
            if (++r.steps > r.maxSteps) {
                throw limitReached(ScriptLimitException.Limit.STEPS, "the run took more than " + r.maxSteps + " statements ("
                        + ScriptLimitException.Limit.STEPS.setting() + "); is there an endless loop?");
            }
            return exec(f);
        }

        abstract int exec(Frame f);
    }

    // ---- expressions ----

    static final class Const extends Expr {
        final Object value;
        private final boolean isFloat;
        private final double floatValue;

        Const(int line, int col, Object value) {
            super(line, col);
            this.value = value;
            this.isFloat = value instanceof Double;
            this.floatValue = isFloat ? (Double) value : 0;
        }

        @Override
        Object eval(Frame f) {
            return value;
        }

        @Override
        double evalFloat(Frame f) {
            return isFloat ? floatValue : spill(f, value);
        }

        @Override
        boolean floatNative() {
            return isFloat;
        }
    }

    /** A value given from outside (a param override), made anew as a script value in every run. */
    static final class Given extends Expr {
        final Object runtimeValue;

        Given(int line, int col, Object runtimeValue) {
            super(line, col);
            this.runtimeValue = runtimeValue;
        }

        @Override
        Object eval(Frame f) {
            // A fresh copy each time: arrays are mutable, and one run must not see another's changes.
            return Ops.toScript(runtimeValue);
        }
    }

    static final class Local extends Expr {
        final int slot;

        Local(int line, int col, int slot) {
            super(line, col);
            this.slot = slot;
        }

        @Override
        Object eval(Frame f) {
            return value(f.slots[slot]);
        }

        @Override
        double evalFloat(Frame f) {
            Object v = f.slots[slot];
            return v instanceof FloatCell ? ((FloatCell) v).value : spill(f, v);
        }

        @Override
        boolean floatNative() {
            return true;
        }
    }

    static final class Global extends Expr {
        final int slot;
        final String name;

        Global(int line, int col, int slot, String name) {
            super(line, col);
            this.slot = slot;
            this.name = name;
        }

        @Override
        Object eval(Frame f) {
            Object v = f.run.globals[slot];
            if (v == null) {
                throw error("'" + name + "' is used before the top level sets it");
            }
            return value(v);
        }
    }

    static final class ArrayLit extends Expr {
        final Expr[] items;

        ArrayLit(int line, int col, Expr[] items) {
            super(line, col);
            this.items = items;
        }

        @Override
        Object eval(Frame f) {
            PArray a = new PArray(items.length);
            for (Expr e : items) {
                a.add(e.eval(f));
            }
            return a;
        }
    }

    static final class Index extends Expr {
        final Expr array;
        final Expr index;

        Index(int line, int col, Expr array, Expr index) {
            super(line, col);
            this.array = array;
            this.index = index;
        }

        @Override
        Object eval(Frame f) {
            Object a = array.eval(f);
            Object i = index.eval(f);
            if (a instanceof String) {
                String s = (String) a;
                return String.valueOf(s.charAt(checkIndex(i, s.length())));
            }
            if (!(a instanceof PArray)) {
                throw error("only arrays and strings can be indexed, got " + Ops.describe(a));
            }
            PArray arr = (PArray) a;
            return arr.get(checkIndex(i, arr.size()));
        }

        int checkIndex(Object i, int size) {
            if (!(i instanceof Long)) {
                throw error("an index must be an integer, got " + Ops.describe(i));
            }
            long k = (Long) i;
            if (k < 0 || k >= size) {
                throw error("index " + k + " is out of range for length " + size);
            }
            return (int) k;
        }
    }

    static final class Unary extends Expr {
        final boolean negate;
        final Expr operand;

        Unary(int line, int col, boolean negate, Expr operand) {
            super(line, col);
            this.negate = negate;
            this.operand = operand;
        }

        @Override
        double evalFloat(Frame f) {
            if (!negate) {
                return spill(f, eval(f));
            }
            double x = operand.evalFloat(f);
            return f.notFloat ? spill(f, apply(taken(f))) : -x;
        }

        @Override
        boolean floatNative() {
            return negate;
        }

        @Override
        Object eval(Frame f) {
            return apply(operand.eval(f));
        }

        private Object apply(Object v) {
            if (negate) {
                if (v instanceof Long) {
                    return -(Long) v;
                }
                if (v instanceof Double) {
                    return -(Double) v;
                }
                throw error("'-' needs a number, got " + Ops.describe(v));
            }
            if (v instanceof Boolean) {
                return !(Boolean) v;
            }
            throw error("'!' needs true or false, got " + Ops.describe(v));
        }
    }

    static final class Binary extends Expr {
        final String op;
        final int code;
        final Expr left;
        final Expr right;

        Binary(int line, int col, String op, Expr left, Expr right) {
            super(line, col);
            this.op = op;
            this.code = Ops.code(op);
            this.left = left;
            this.right = right;
        }

        @Override
        Object eval(Frame f) {
            if (code <= Ops.DIVIDE) {
                double r = evalFloat(f);
                return f.notFloat ? taken(f) : (Object) r;
            }
            return apply(left.eval(f), right.eval(f));
        }

        @Override
        boolean floatNative() {
            return code <= Ops.DIVIDE;
        }

        /**
         * + - * / on floats without boxing: each operand is asked for a primitive float, and
         * anything else (integers, strings, arrays) goes the general way of {@link Ops#binary},
         * the operands evaluated once each and in order.
         */
        @Override
        double evalFloat(Frame f) {
            if (code > Ops.DIVIDE) {
                return spill(f, eval(f));
            }
            double x = left.evalFloat(f);
            if (f.notFloat) {
                Object a = taken(f);
                if (a instanceof Long) {
                    double y = right.evalFloat(f);
                    if (!f.notFloat) {
                        return Ops.arithmetic(code, (Long) a, y);   // an integer and a float give a float
                    }
                    return spill(f, apply(a, taken(f)));
                }
                return spill(f, apply(a, right.eval(f)));
            }
            double y = right.evalFloat(f);
            if (f.notFloat) {
                Object b = taken(f);
                return b instanceof Long ? Ops.arithmetic(code, x, (Long) b) : spill(f, apply(x, b));
            }
            return Ops.arithmetic(code, x, y);
        }

        private Object apply(Object a, Object b) {
            return operate(this, code, op, a, b);
        }
    }

    /**
     * A variable against an integer constant ({@code n - 1}, {@code i < 10}): the commonest binary
     * operation in loops and recursion, kept free of boxing the constant and of dispatch.
     */
    static final class LocalOpConst extends Expr {
        final String op;
        final int code;
        final int slot;
        final long constant;
        final Long boxed;

        LocalOpConst(int line, int col, String op, int slot, long constant) {
            super(line, col);
            this.op = op;
            this.code = Ops.code(op);
            this.slot = slot;
            this.constant = constant;
            this.boxed = constant;
        }

        @Override
        Object eval(Frame f) {
            Object a = f.slots[slot];
            if (a instanceof Long) {
                try {
                    Object r = Ops.integers(code, (Long) a, constant);
                    if (r != null) {
                        return r;
                    }
                } catch (ArithmeticException e) {
                    throw overflow(this, op);
                }
            }
            return operate(this, code, op, value(a), boxed);
        }

        @Override
        double evalFloat(Frame f) {
            Object a = f.slots[slot];
            if (code <= Ops.DIVIDE && (a instanceof FloatCell || a instanceof Double)) {
                double x = a instanceof FloatCell ? ((FloatCell) a).value : (Double) a;
                return Ops.arithmetic(code, x, constant);
            }
            return spill(f, eval(f));
        }

        @Override
        boolean floatNative() {
            return code <= Ops.DIVIDE;
        }
    }

    /** The general way of a binary operator, its errors placed at {@code at}. */
    static Object operate(Node at, int code, String op, Object a, Object b) {
        try {
            return Ops.binary(code, a, b);
        } catch (IllegalArgumentException e) {
            throw at.error(e.getMessage());
        } catch (ArithmeticException e) {
            throw overflow(at, op);
        }
    }

    private static ScriptError overflow(Node at, String op) {
        return at.error("integer overflow in '" + op + "'");
    }

    /**
     * The root of a tree of float arithmetic on variables and constants ({@link FloatCode#compilable}):
     * walked like any tree at first and, once it has run {@link FloatCode#HOT} times, run as
     * bytecode. Where the code meets a variable holding no float, the tree is walked instead; if
     * that happens {@link FloatCode#MAX_MISSES} times, the code is dropped. Every path gives the
     * same value, so the racy counters (a model runs on several threads) change only the speed.
     */
    static final class FloatTree extends Expr {
        final Expr tree;
        private int runs;
        private int misses;
        private volatile FloatCode code;

        FloatTree(Expr tree) {
            super(tree.line, tree.col);
            this.tree = tree;
        }

        /** The tree under {@code e} if {@code e} is a FloatTree, else {@code e}. */
        static Expr unwrap(Expr e) {
            return e instanceof FloatTree ? ((FloatTree) e).tree : e;
        }

        @Override
        Object eval(Frame f) {
            double r = evalFloat(f);
            return f.notFloat ? taken(f) : (Object) r;
        }

        @Override
        double evalFloat(Frame f) {
            FloatCode c = code;
            if (c != null) {
                try {
                    return c.eval(f.slots);
                } catch (FloatCode.NotFloat e) {
                    if (++misses >= FloatCode.MAX_MISSES) {
                        code = null;
                    }
                }
            } else if (runs <= FloatCode.HOT && ++runs == FloatCode.HOT) {
                code = FloatCode.compile(tree);
            }
            return tree.evalFloat(f);
        }

        @Override
        boolean floatNative() {
            return true;
        }
    }

    static final class Logic extends Expr {
        final boolean and;
        final Expr left;
        final Expr right;

        Logic(int line, int col, boolean and, Expr left, Expr right) {
            super(line, col);
            this.and = and;
            this.left = left;
            this.right = right;
        }

        @Override
        Object eval(Frame f) {
            String op = and ? "'&&'" : "'||'";
            boolean a = left.bool(f, "the left side of " + op);
            if (and ? !a : a) {
                return a;
            }
            return right.bool(f, "the right side of " + op);
        }
    }

    static final class Cond extends Expr {
        final Expr test;
        final Expr then;
        final Expr otherwise;

        Cond(int line, int col, Expr test, Expr then, Expr otherwise) {
            super(line, col);
            this.test = test;
            this.then = then;
            this.otherwise = otherwise;
        }

        @Override
        Object eval(Frame f) {
            return test.bool(f, "the condition of '?'") ? then.eval(f) : otherwise.eval(f);
        }
    }

    /** A call of a function the script declares. */
    static final class Call extends Expr {
        final String name;
        final Expr[] args;
        Function target;

        Call(int line, int col, String name, Expr[] args) {
            super(line, col);
            this.name = name;
            this.args = args;
        }

        @Override
        Object eval(Frame f) {
            Function fn = target;
            Object[] slots = new Object[fn.slots];
            for (int i = 0; i < args.length; i++) {
                slots[i] = args[i].eval(f);
            }
            Run r = f.run;
            if (++r.depth > r.maxDepth) {
                throw limitReached(ScriptLimitException.Limit.DEPTH, "calls nest deeper than " + r.maxDepth + " ("
                        + ScriptLimitException.Limit.DEPTH.setting() + "); is the recursion endless?");
            }
            // No finally: an exception ends the whole run, and the next run starts from depth 0.
            Frame callee = new Frame(slots, f, this, fn.name);
            Object result = Ops.NOTHING;
            for (Stmt s : fn.body) {
                if (s.run(callee) == RETURN) {
                    if (callee.returned != null) {
                        result = callee.returned;
                    }
                    break;
                }
            }
            r.depth--;
            return result;
        }
    }

    /** A function the script declares. */
    static final class Function {
        final String name;
        final int arity;
        int slots;
        Stmt[] body;

        Function(String name, int arity) {
            this.name = name;
            this.arity = arity;
        }
    }

    /** A built-in function or distribution constructor. */
    static final class BuiltinCall extends Expr {
        final Builtins.Fn fn;
        final Expr[] args;

        BuiltinCall(int line, int col, Builtins.Fn fn, Expr[] args) {
            super(line, col);
            this.fn = fn;
            this.args = args;
        }

        @Override
        Object eval(Frame f) {
            Object[] values = new Object[args.length];
            long work = 0;
            for (int i = 0; i < args.length; i++) {
                values[i] = args[i].eval(f);
                work += elements(values[i]);
            }
            // A built-in's work counts against --max-steps by the elements it reads and makes, so
            // that a loop growing an array with append is bounded like any other loop.
            charge(f, work);
            Object out;
            try {
                out = fn.apply(values);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw error(e.getMessage());
            }
            charge(f, elements(out));
            return out;
        }

        private static long elements(Object v) {
            return dev.probe.runtime.distribution.Values.isArray(v) ? dev.probe.runtime.distribution.Values.length(v) : 0;
        }

        private void charge(Frame f, long work) {
            Run r = f.run;
            r.steps += work;
            if (r.steps > r.maxSteps) {
                throw limitReached(ScriptLimitException.Limit.STEPS, "the run took more than " + r.maxSteps + " steps ("
                        + ScriptLimitException.Limit.STEPS.setting() + "; built-ins count one per array element they read or make);"
                        + " is there an endless loop?");
            }
        }
    }

    static Distribution<?> distribution(Expr e, Frame f, String what) {
        Object d = e.eval(f);
        if (!(d instanceof Distribution)) {
            throw e.error(what + " needs a distribution, got " + Ops.describe(d));
        }
        return (Distribution<?>) d;
    }

    static String name(Expr e, Frame f, String what) {
        Object n = e.eval(f);
        if (!(n instanceof String) || ((String) n).isEmpty()) {
            throw e.error(what + "'s name must be a non-empty string, got " + Ops.describe(n));
        }
        return (String) n;
    }

    /** sample(d), sample(d, name: s), sample(d, name: s, control: c). */
    static final class SampleExpr extends Expr {
        final Expr dist;
        final Expr name;
        final Expr control;
        private volatile String lastKind;
        private volatile Object lastKey;

        SampleExpr(int line, int col, Expr dist, Expr name, Expr control) {
            super(line, col);
            this.dist = dist;
            this.name = name;
            this.control = control;
        }

        /** A key for this site and a distribution kind, stable across calls. */
        Object kindKey(String kind) {
            Object k = lastKey;
            if (k != null && kind.equals(lastKind)) {
                return k;
            }
            k = List.of(this, kind);
            lastKind = kind;
            lastKey = k;
            return k;
        }

        @Override
        Object eval(Frame f) {
            Distribution<?> d = distribution(dist, f, "sample");
            boolean c = control == null || control.bool(f, "control");
            try {
                Object v;
                if (name == null) {
                    Address a = f.context().address(this, f.function, d.kind());
                    v = f.run.ctx.sample(d, a, null, c);
                } else {
                    v = f.run.ctx.sample(d, name(name, f, "sample"), c);
                }
                return Ops.toScript(v);
            } catch (ModelException | IllegalArgumentException e) {
                throw error(e);
            }
        }
    }

    /** observe(d, name: s) and observe(d, v). */
    static final class ObserveExpr extends Expr {
        final Expr dist;
        final Expr name;
        final Expr value;

        ObserveExpr(int line, int col, Expr dist, Expr name, Expr value) {
            super(line, col);
            this.dist = dist;
            this.name = name;
            this.value = value;
        }

        @Override
        Object eval(Frame f) {
            Distribution<?> d = distribution(dist, f, "observe");
            try {
                if (name != null) {
                    return Ops.toScript(f.run.ctx.observe(d, name(name, f, "observe")));
                }
                Object v = value.eval(f);
                return Ops.toScript(observeValue(f.run.ctx, d, Ops.toRuntime(v)));
            } catch (ModelException | IllegalArgumentException e) {
                throw error(e);
            }
        }

        private static <T> T observeValue(Context ctx, Distribution<T> d, Object v) {
            return ctx.observe(d, d.cast(v));
        }
    }

    static final class FactorExpr extends Expr {
        final Expr weight;

        FactorExpr(int line, int col, Expr weight) {
            super(line, col);
            this.weight = weight;
        }

        @Override
        Object eval(Frame f) {
            double w = weight.number(f, "factor's log weight");
            try {
                f.run.ctx.factor(w);
            } catch (ModelException e) {
                throw error(e);
            }
            return Ops.NOTHING;
        }
    }

    static final class TagExpr extends Expr {
        final Expr value;
        final Expr name;

        TagExpr(int line, int col, Expr value, Expr name) {
            super(line, col);
            this.value = value;
            this.name = name;
        }

        @Override
        Object eval(Frame f) {
            Object v = value.eval(f);
            f.run.ctx.tag(Ops.toRuntime(v), name(name, f, "tag"));
            return v;
        }
    }

    // ---- statements ----

    static final class ExprStmt extends Stmt {
        final Expr expr;

        ExprStmt(int line, int col, Expr expr) {
            super(line, col);
            this.expr = expr;
        }

        @Override
        int exec(Frame f) {
            expr.eval(f);
            return NORMAL;
        }
    }

    static final class SetLocal extends Stmt {
        final int slot;
        final Expr value;
        /** Whether the value is asked for as a float first, to be kept in a {@link FloatCell}. */
        private final boolean floats;

        SetLocal(int line, int col, int slot, Expr value) {
            super(line, col);
            this.slot = slot;
            this.value = value;
            this.floats = value.floatNative();
        }

        @Override
        int exec(Frame f) {
            if (!floats) {
                f.slots[slot] = value.eval(f);
                return NORMAL;
            }
            double x = value.evalFloat(f);
            if (f.notFloat) {
                f.slots[slot] = Expr.taken(f);
                return NORMAL;
            }
            Object cell = f.slots[slot];
            if (cell instanceof FloatCell) {
                ((FloatCell) cell).value = x;
            } else {
                f.slots[slot] = new FloatCell(x);
            }
            return NORMAL;
        }
    }

    static final class SetGlobal extends Stmt {
        final int slot;
        final Expr value;

        SetGlobal(int line, int col, int slot, Expr value) {
            super(line, col);
            this.slot = slot;
            this.value = value;
        }

        @Override
        int exec(Frame f) {
            f.run.globals[slot] = value.eval(f);
            return NORMAL;
        }
    }

    /** {@code a[i][j] = v}: the target array is {@code target} with the indices but the last applied. */
    static final class SetIndex extends Stmt {
        final Expr target;
        final Expr index;
        final Expr value;

        SetIndex(int line, int col, Expr target, Expr index, Expr value) {
            super(line, col);
            this.target = target;
            this.index = index;
            this.value = value;
        }

        @Override
        int exec(Frame f) {
            Object a = target.eval(f);
            if (!(a instanceof PArray)) {
                throw error("only array elements can be assigned, got " + Ops.describe(a));
            }
            Object i = index.eval(f);
            Object v = value.eval(f);
            PArray arr = (PArray) a;
            if (!(i instanceof Long)) {
                throw error("an index must be an integer, got " + Ops.describe(i));
            }
            long k = (Long) i;
            if (k < 0 || k >= arr.size()) {
                throw error("index " + k + " is out of range for length " + arr.size());
            }
            arr.set((int) k, v);
            return NORMAL;
        }
    }

    /** {@code param p = e;}: the user's value when given, else e. */
    static final class ParamStmt extends Stmt {
        final int slot;
        final Expr value;

        ParamStmt(int line, int col, int slot, Expr value) {
            super(line, col);
            this.slot = slot;
            this.value = value;
        }

        /** The same param set to a value the user gave instead of its default. */
        ParamStmt given(Object runtimeValue) {
            return new ParamStmt(line, col, slot, new Given(line, col, runtimeValue));
        }

        @Override
        int exec(Frame f) {
            f.slots[slot] = value.eval(f);
            return NORMAL;
        }
    }

    static final class Block extends Stmt {
        final Stmt[] body;

        Block(int line, int col, Stmt[] body) {
            super(line, col);
            this.body = body;
        }

        @Override
        int exec(Frame f) {
            for (Stmt s : body) {
                int signal = s.run(f);
                if (signal != NORMAL) {
                    return signal;
                }
            }
            return NORMAL;
        }
    }

    static final class If extends Stmt {
        final Expr test;
        final Stmt then;
        final Stmt otherwise;

        If(int line, int col, Expr test, Stmt then, Stmt otherwise) {
            super(line, col);
            this.test = test;
            this.then = then;
            this.otherwise = otherwise;
        }

        @Override
        int exec(Frame f) {
            if (test.bool(f, "the condition of 'if'")) {
                return then.exec(f);
            }
            return otherwise == null ? NORMAL : otherwise.exec(f);
        }
    }

    static final class While extends Stmt {
        final Expr test;
        final Block body;

        While(int line, int col, Expr test, Block body) {
            super(line, col);
            this.test = test;
            this.body = body;
        }

        @Override
        int exec(Frame f) {
            while (test.bool(f, "the condition of 'while'")) {
                int signal = body.run(f);
                if (signal == BREAK) {
                    break;
                }
                if (signal == RETURN) {
                    return RETURN;
                }
            }
            return NORMAL;
        }
    }

    /**
     * {@code reject x, y until cond { body }}: a marked rejection loop (Context#rejection). The body
     * may assign only the listed variables among those outside it, so the iterations an engine
     * runs to estimate acceptance rates leave nothing behind; the accepted values are set last.
     */
    static final class Reject extends Stmt {
        final int[] slots;
        final Block body;
        final Expr test;
        final String name;

        Reject(int line, int col, int[] slots, Block body, Expr test) {
            super(line, col);
            this.slots = slots;
            this.body = body;
            this.test = test;
            this.name = "reject@" + line + ":" + col;
        }

        @Override
        int exec(Frame f) {
            Object[] accepted = f.run.ctx.rejection(name, c -> {
                Context outer = f.run.ctx;
                f.run.ctx = c;
                try {
                    body.run(f);
                    Object[] values = new Object[slots.length + 1];
                    for (int i = 0; i < slots.length; i++) {
                        values[i] = value(f.slots[slots[i]]);
                    }
                    values[slots.length] = test.bool(f, "the condition of 'reject ... until'");
                    return values;
                } finally {
                    f.run.ctx = outer;
                }
            }, values -> (Boolean) values[values.length - 1]);
            for (int i = 0; i < slots.length; i++) {
                f.slots[slots[i]] = accepted[i];
            }
            return NORMAL;
        }
    }

    static final class ForRange extends Stmt {
        final int slot;
        final Expr from;
        final Expr to;
        final Block body;

        ForRange(int line, int col, int slot, Expr from, Expr to, Block body) {
            super(line, col);
            this.slot = slot;
            this.from = from;
            this.to = to;
            this.body = body;
        }

        @Override
        int exec(Frame f) {
            long a = integer(from, f, "the start of a range");
            long b = integer(to, f, "the end of a range");
            for (long i = a; i < b; i++) {
                f.slots[slot] = i;
                int signal = body.run(f);
                if (signal == BREAK) {
                    break;
                }
                if (signal == RETURN) {
                    return RETURN;
                }
            }
            return NORMAL;
        }

        private static long integer(Expr e, Frame f, String what) {
            Object v = e.eval(f);
            if (!(v instanceof Long)) {
                throw e.error(what + " must be an integer, got " + Ops.describe(v));
            }
            return (Long) v;
        }
    }

    static final class ForEach extends Stmt {
        final int slot;
        final Expr array;
        final Block body;

        ForEach(int line, int col, int slot, Expr array, Block body) {
            super(line, col);
            this.slot = slot;
            this.array = array;
            this.body = body;
        }

        @Override
        int exec(Frame f) {
            Object a = array.eval(f);
            if (!(a instanceof PArray)) {
                throw array.error("'for ... in' needs an array or a range a..b, got " + Ops.describe(a));
            }
            PArray arr = (PArray) a;
            // Iterates by index, so that the body may change the array without an exception.
            for (int i = 0; i < arr.size(); i++) {
                f.slots[slot] = arr.get(i);
                int signal = body.run(f);
                if (signal == BREAK) {
                    break;
                }
                if (signal == RETURN) {
                    return RETURN;
                }
            }
            return NORMAL;
        }
    }

    static final class Jump extends Stmt {
        final int signal;

        Jump(int line, int col, int signal) {
            super(line, col);
            this.signal = signal;
        }

        @Override
        int exec(Frame f) {
            return signal;
        }
    }

    static final class Return extends Stmt {
        final Expr value;

        Return(int line, int col, Expr value) {
            super(line, col);
            this.value = value;
        }

        @Override
        int exec(Frame f) {
            f.returned = value == null ? null : value.eval(f);
            return RETURN;
        }
    }
}
