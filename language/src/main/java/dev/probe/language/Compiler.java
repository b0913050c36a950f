package dev.probe.language;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.AbstractParseTreeVisitor;
import org.antlr.v4.runtime.tree.TerminalNode;

import dev.probe.language.Nodes.Expr;
import dev.probe.language.Nodes.Stmt;
import dev.probe.language.grammar.ProbeParser;
import dev.probe.language.grammar.ProbeParser.ArgContext;
import dev.probe.language.grammar.ProbeParser.BlockContext;
import dev.probe.language.grammar.ProbeParser.ExprContext;
import dev.probe.language.grammar.ProbeParser.IfStmtContext;
import dev.probe.language.grammar.ProbeParser.StmtContext;
import dev.probe.language.grammar.ProbeVisitor;

/**
 * Turns a parse tree into the executable tree, checking it on the way: every static error of the
 * language is collected, so one pass reports them all. Variables become slots: locals of the main
 * program or a function, or globals (the top level's own lets and params, which functions see).
 */
final class Compiler {

    /** What the compiler produces. */
    static final class Program {
        Stmt[] main;
        int mainSlots;
        final Map<String, Integer> params = new LinkedHashMap<>();
    }

    private final List<Diagnostic> errors = new ArrayList<>();
    private final Map<String, Nodes.Function> functions = new HashMap<>();
    private final Map<String, Integer> globals = new HashMap<>();
    private final List<Nodes.Call> calls = new ArrayList<>();

    /** Per function (or the main program): its scopes and slots. */
    private final class Unit {
        final String name;
        final boolean main;
        final List<Map<String, Integer>> scopes = new ArrayList<>();
        int nextSlot;
        int maxSlots;
        int loops;
        /** Inside a reject body: the scopes below this index are outside it (0: not in one). */
        int rejectBase;
        /** The slots a reject body may assign among those outside it. */
        java.util.Set<Integer> rejectAllowed = java.util.Set.of();

        Unit(String name, boolean main, int firstSlot) {
            this.name = name;
            this.main = main;
            this.nextSlot = firstSlot;
            this.maxSlots = firstSlot;
            scopes.add(new HashMap<>());
        }

        int declare(String id, Token at) {
            Map<String, Integer> scope = scopes.get(scopes.size() - 1);
            if (scope.containsKey(id)) {
                error(at, "'" + id + "' is already declared in this block; assign it with '" + id + " = ...' or choose another name");
                return scope.get(id);
            }
            int slot;
            if (main && scopes.size() == 1 && globals.containsKey(id)) {
                slot = globals.get(id);
            } else {
                slot = nextSlot++;
                maxSlots = Math.max(maxSlots, nextSlot);
            }
            scope.put(id, slot);
            return slot;
        }

        /** The index of the scope that declares {@code id}, or -1. */
        int depthOf(String id) {
            for (int i = scopes.size() - 1; i >= 0; i--) {
                if (scopes.get(i).containsKey(id)) {
                    return i;
                }
            }
            return -1;
        }

        Integer local(String id) {
            for (int i = scopes.size() - 1; i >= 0; i--) {
                Integer s = scopes.get(i).get(id);
                if (s != null) {
                    return s;
                }
            }
            return null;
        }

        void push() {
            scopes.add(new HashMap<>());
        }

        void pop() {
            // Slots are not reused: a frame is small, and reuse would let a closed block's value leak.
            scopes.remove(scopes.size() - 1);
        }
    }

    private Unit unit;
    private final Statements statements = new Statements();
    private final Expressions expressions = new Expressions();

    List<Diagnostic> errors() {
        errors.sort((a, b) -> a.line() != b.line() ? Integer.compare(a.line(), b.line()) : Integer.compare(a.col(), b.col()));
        return errors;
    }

    Program compile(ProbeParser.ProgramContext tree) {
        Program program = new Program();
        List<StmtContext> top = tree.stmt();
        // Globals get their slots first, so that functions may read them wherever they are declared.
        int nextGlobal = 0;
        for (StmtContext s : top) {
            String id = null;
            if (s instanceof ProbeParser.LetStmtContext) {
                id = ((ProbeParser.LetStmtContext) s).ID().getText();
            } else if (s instanceof ProbeParser.ParamStmtContext) {
                id = ((ProbeParser.ParamStmtContext) s).ID().getText();
            }
            if (id != null && !globals.containsKey(id)) {
                globals.put(id, nextGlobal++);
            }
        }
        for (StmtContext s : top) {
            if (s instanceof ProbeParser.FnStmtContext) {
                ProbeParser.FnStmtContext fn = (ProbeParser.FnStmtContext) s;
                String name = fn.ID(0).getText();
                if (functions.containsKey(name)) {
                    error(fn.ID(0).getSymbol(), "function '" + name + "' is already declared");
                } else if (Builtins.find(name) != null || isSpecial(name)) {
                    error(fn.ID(0).getSymbol(), "'" + name + "' is a built-in function; choose another name");
                } else {
                    functions.put(name, new Nodes.Function(name, fn.ID().size() - 1));
                }
            }
        }
        unit = new Unit("main", true, nextGlobal);
        List<Stmt> main = new ArrayList<>();
        for (StmtContext s : top) {
            if (s instanceof ProbeParser.FnStmtContext) {
                continue;
            }
            if (s instanceof ProbeParser.ParamStmtContext) {
                ProbeParser.ParamStmtContext p = (ProbeParser.ParamStmtContext) s;
                String id = p.ID().getText();
                Expr value = expr(p.expr());
                int slot = unit.declare(id, p.ID().getSymbol());
                program.params.put(id, slot);
                main.add(new Nodes.ParamStmt(line(p), col(p), slot, value));
                continue;
            }
            Stmt st = stmt(s);
            if (st != null) {
                main.add(st);
            }
        }
        program.main = main.toArray(new Stmt[0]);
        program.mainSlots = unit.maxSlots;
        for (StmtContext s : top) {
            if (s instanceof ProbeParser.FnStmtContext) {
                function((ProbeParser.FnStmtContext) s);
            }
        }
        for (Nodes.Call c : calls) {
            c.target = functions.get(c.name);
        }
        return program;
    }

    private void function(ProbeParser.FnStmtContext fn) {
        Nodes.Function f = functions.get(fn.ID(0).getText());
        if (f == null || f.body != null) {
            return;
        }
        unit = new Unit(f.name, false, 0);
        for (int i = 1; i < fn.ID().size(); i++) {
            unit.declare(fn.ID(i).getText(), fn.ID(i).getSymbol());
        }
        List<Stmt> body = new ArrayList<>();
        for (StmtContext s : fn.block().stmt()) {
            Stmt st = stmt(s);
            if (st != null) {
                body.add(st);
            }
        }
        f.body = body.toArray(new Stmt[0]);
        f.slots = unit.maxSlots;
    }

    private Stmt stmt(StmtContext s) {
        return s.accept(statements);
    }

    /**
     * The statements: one method per alternative of the grammar's {@code stmt} rule, so that a new
     * alternative is a compile error here until it is compiled.
     */
    private final class Statements extends NoExpressions<Stmt> {

        @Override
        public Stmt visitLetStmt(ProbeParser.LetStmtContext let) {
            Expr value = expr(let.expr());
            int slot = unit.declare(let.ID().getText(), let.ID().getSymbol());
            return new Nodes.SetLocal(line(let), col(let), slot, value);
        }

        @Override
        public Stmt visitAssignStmt(ProbeParser.AssignStmtContext a) {
            return assign(a);
        }

        @Override
        public Stmt visitIfStatement(ProbeParser.IfStatementContext s) {
            return ifStmt(s.ifStmt());
        }

        @Override
        public Stmt visitWhileStmt(ProbeParser.WhileStmtContext w) {
            Expr test = expr(w.expr());
            unit.loops++;
            Nodes.Block body = block(w.block());
            unit.loops--;
            return new Nodes.While(line(w), col(w), test, body);
        }

        @Override
        public Stmt visitRejectStmt(ProbeParser.RejectStmtContext r) {
            return reject(r);
        }

        @Override
        public Stmt visitForRangeStmt(ProbeParser.ForRangeStmtContext f) {
            Expr from = expr(f.expr(0));
            Expr to = expr(f.expr(1));
            int[] slot = new int[1];
            Nodes.Block body = loop(f.ID(), f.block(), slot);
            return new Nodes.ForRange(line(f), col(f), slot[0], from, to, body);
        }

        @Override
        public Stmt visitForEachStmt(ProbeParser.ForEachStmtContext f) {
            Expr array = expr(f.expr());
            int[] slot = new int[1];
            Nodes.Block body = loop(f.ID(), f.block(), slot);
            return new Nodes.ForEach(line(f), col(f), slot[0], array, body);
        }

        @Override
        public Stmt visitBreakStmt(ProbeParser.BreakStmtContext s) {
            return jump(s, true);
        }

        @Override
        public Stmt visitContinueStmt(ProbeParser.ContinueStmtContext s) {
            return jump(s, false);
        }

        private Stmt jump(StmtContext s, boolean isBreak) {
            if (unit.loops == 0) {
                error(s.getStart(), "'" + (isBreak ? "break" : "continue") + "' is only allowed inside a loop");
            }
            return new Nodes.Jump(line(s), col(s), isBreak ? Nodes.BREAK : Nodes.CONTINUE);
        }

        @Override
        public Stmt visitReturnStmt(ProbeParser.ReturnStmtContext r) {
            if (unit.rejectBase > 0) {
                error(r.getStart(), "'return' is not allowed inside a 'reject' body: the body ends by itself, and the loop"
                        + " ends when its condition holds");
            }
            return new Nodes.Return(line(r), col(r), r.expr() == null ? null : expr(r.expr()));
        }

        @Override
        public Stmt visitFnStmt(ProbeParser.FnStmtContext s) {
            error(s.getStart(), "'fn' declarations are only allowed at the top level, not inside a block or function");
            return null;
        }

        @Override
        public Stmt visitParamStmt(ProbeParser.ParamStmtContext s) {
            error(s.getStart(), "'param' declarations are only allowed at the top level, not inside a block or function");
            return null;
        }

        @Override
        public Stmt visitExprStmt(ProbeParser.ExprStmtContext s) {
            return new Nodes.ExprStmt(line(s), col(s), expr(s.expr()));
        }
    }

    /**
     * {@code reject x, y until cond { ... }}: the listed variables must be declared already; the
     * body may assign no other variable from outside it, nor jump out of it.
     */
    private Stmt reject(ProbeParser.RejectStmtContext r) {
        List<TerminalNode> ids = r.ID();
        int[] slots = new int[ids.size()];
        java.util.Set<Integer> allowed = new java.util.HashSet<>();
        for (int i = 0; i < slots.length; i++) {
            String id = ids.get(i).getText();
            Integer slot = unit.local(id);
            if (slot == null) {
                error(ids.get(i).getSymbol(), "'reject' lists '" + id + "', which is not a variable declared before it here;"
                        + " declare it first with 'let " + id + " = ...'");
                slot = -1;
            }
            slots[i] = slot;
            allowed.add(slot);
        }
        int savedBase = unit.rejectBase;
        java.util.Set<Integer> savedAllowed = unit.rejectAllowed;
        int savedLoops = unit.loops;
        unit.rejectBase = unit.scopes.size();
        unit.rejectAllowed = allowed;
        unit.loops = 0;
        Nodes.Block body = block(r.block());
        unit.rejectBase = savedBase;
        unit.rejectAllowed = savedAllowed;
        unit.loops = savedLoops;
        Expr test = expr(r.expr());
        return new Nodes.Reject(line(r), col(r), slots, body, test);
    }

    /** Inside a reject body, an assignment to a variable from outside it must be to a listed one. */
    private void checkRejectAssignment(String id, Token at, boolean indexed) {
        if (unit.rejectBase == 0) {
            return;
        }
        int depth = unit.depthOf(id);
        boolean outside = depth < 0 || depth < unit.rejectBase;
        if (!outside) {
            return;
        }
        Integer slot = unit.local(id);
        if (indexed || slot == null || !unit.rejectAllowed.contains(slot)) {
            error(at, "a 'reject' body may change only the variables its 'reject' lists (and its own);"
                    + (indexed ? " it changes an element of '" + id + "'" : " add '" + id + "' to the list"));
        }
    }

    /** A for loop's body, in a scope of its own that declares the loop variable (its slot goes in {@code slot}). */
    private Nodes.Block loop(TerminalNode variable, BlockContext body, int[] slot) {
        unit.push();
        slot[0] = unit.declare(variable.getText(), variable.getSymbol());
        unit.loops++;
        Nodes.Block b = block(body);
        unit.loops--;
        unit.pop();
        return b;
    }

    private Stmt assign(ProbeParser.AssignStmtContext a) {
        String id = a.ID().getText();
        Token at = a.ID().getSymbol();
        Expr value = expr(a.expr());
        List<ProbeParser.IndexContext> indices = a.index();
        checkRejectAssignment(id, at, !indices.isEmpty());
        if (indices.isEmpty()) {
            Integer slot = unit.local(id);
            if (slot != null) {
                return new Nodes.SetLocal(line(a), col(a), slot, value);
            }
            if (!unit.main && globals.containsKey(id)) {
                return new Nodes.SetGlobal(line(a), col(a), globals.get(id), value);
            }
            error(at, undeclared(id) + "; declare it first with 'let " + id + " = ...'");
            return null;
        }
        Expr target = variable(id, at);
        for (int i = 0; i < indices.size() - 1; i++) {
            ProbeParser.IndexContext ix = indices.get(i);
            target = new Nodes.Index(line(ix), col(ix), target, expr(ix.expr()));
        }
        ProbeParser.IndexContext last = indices.get(indices.size() - 1);
        return new Nodes.SetIndex(line(last), col(last), target, expr(last.expr()), value);
    }

    private Stmt ifStmt(IfStmtContext s) {
        Expr test = expr(s.expr());
        Nodes.Block then = block(s.block(0));
        Stmt otherwise = null;
        if (s.ifStmt() != null) {
            otherwise = ifStmt(s.ifStmt());
        } else if (s.block().size() > 1) {
            otherwise = block(s.block(1));
        }
        return new Nodes.If(line(s), col(s), test, then, otherwise);
    }

    private Nodes.Block block(BlockContext b) {
        unit.push();
        List<Stmt> body = new ArrayList<>();
        for (StmtContext s : b.stmt()) {
            Stmt st = stmt(s);
            if (st != null) {
                body.add(st);
            }
        }
        unit.pop();
        return new Nodes.Block(line(b), col(b), body.toArray(new Stmt[0]));
    }

    private Expr variable(String id, Token at) {
        Integer slot = unit.local(id);
        int line = at.getLine();
        int col = at.getCharPositionInLine() + 1;
        if (slot != null) {
            return new Nodes.Local(line, col, slot);
        }
        if (!unit.main && globals.containsKey(id)) {
            return new Nodes.Global(line, col, globals.get(id), id);
        }
        Object constant = Builtins.CONSTANTS.get(id);
        if (constant != null) {
            return new Nodes.Const(line, col, constant);
        }
        if (unit.main && globals.containsKey(id)) {
            error(at, "'" + id + "' is used before its declaration");
        } else if (functions.containsKey(id) || Builtins.find(id) != null) {
            error(at, "'" + id + "' is a function: call it with " + id + "(...)");
        } else {
            error(at, undeclared(id));
        }
        return new Nodes.Const(line, col, Ops.NOTHING);
    }

    private static String undeclared(String id) {
        return "undeclared variable '" + id + "'";
    }

    private Expr expr(ExprContext e) {
        return e.accept(expressions);
    }

    /**
     * The expressions: one method per alternative of the grammar's {@code expr} rule, so that a new
     * alternative is a compile error here until it is compiled.
     */
    private final class Expressions extends NoStatements<Expr> {

        @Override
        public Expr visitIntExpr(ProbeParser.IntExprContext e) {
            try {
                return new Nodes.Const(line(e), col(e), Long.parseLong(e.getText()));
            } catch (NumberFormatException x) {
                error(e.getStart(), "the integer " + e.getText() + " is too large (64-bit integers go up to 9223372036854775807)");
                return new Nodes.Const(line(e), col(e), 0L);
            }
        }

        @Override
        public Expr visitFloatExpr(ProbeParser.FloatExprContext e) {
            return new Nodes.Const(line(e), col(e), Double.parseDouble(e.getText()));
        }

        @Override
        public Expr visitStringExpr(ProbeParser.StringExprContext e) {
            return new Nodes.Const(line(e), col(e), unescape(e.getText(), e.getStart()));
        }

        @Override
        public Expr visitBoolExpr(ProbeParser.BoolExprContext e) {
            return new Nodes.Const(line(e), col(e), e.getText().equals("true"));
        }

        @Override
        public Expr visitVarExpr(ProbeParser.VarExprContext e) {
            return variable(e.getText(), e.getStart());
        }

        @Override
        public Expr visitParenExpr(ProbeParser.ParenExprContext e) {
            return expr(e.expr());
        }

        @Override
        public Expr visitArrayExpr(ProbeParser.ArrayExprContext e) {
            List<ExprContext> items = e.expr();
            Expr[] out = new Expr[items.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = expr(items.get(i));
            }
            return new Nodes.ArrayLit(line(e), col(e), out);
        }

        @Override
        public Expr visitIndexExpr(ProbeParser.IndexExprContext ix) {
            return new Nodes.Index(line(ix.expr(1)), col(ix.expr(1)), expr(ix.expr(0)), expr(ix.expr(1)));
        }

        @Override
        public Expr visitUnaryExpr(ProbeParser.UnaryExprContext u) {
            boolean negate = u.op.getText().equals("-");
            Expr operand = expr(u.expr());
            Expr whole = new Nodes.Unary(line(u), col(u), negate, Nodes.FloatTree.unwrap(operand));
            return FloatCode.compilable(whole) ? floatTree(whole) : new Nodes.Unary(line(u), col(u), negate, operand);
        }

        @Override
        public Expr visitPowerExpr(ProbeParser.PowerExprContext e) {
            return binary(e.expr(0), e.expr(1), "**", e.getChild(1));
        }

        @Override
        public Expr visitMulExpr(ProbeParser.MulExprContext e) {
            return binary(e.expr(0), e.expr(1), e.op.getText(), e.getChild(1));
        }

        @Override
        public Expr visitAddExpr(ProbeParser.AddExprContext e) {
            return binary(e.expr(0), e.expr(1), e.op.getText(), e.getChild(1));
        }

        @Override
        public Expr visitRelExpr(ProbeParser.RelExprContext e) {
            return binary(e.expr(0), e.expr(1), e.op.getText(), e.getChild(1));
        }

        @Override
        public Expr visitEqExpr(ProbeParser.EqExprContext e) {
            return binary(e.expr(0), e.expr(1), e.op.getText(), e.getChild(1));
        }

        @Override
        public Expr visitAndExpr(ProbeParser.AndExprContext m) {
            return new Nodes.Logic(line(m.getChild(1)), col(m.getChild(1)), true, expr(m.expr(0)), expr(m.expr(1)));
        }

        @Override
        public Expr visitOrExpr(ProbeParser.OrExprContext m) {
            return new Nodes.Logic(line(m.getChild(1)), col(m.getChild(1)), false, expr(m.expr(0)), expr(m.expr(1)));
        }

        @Override
        public Expr visitCondExpr(ProbeParser.CondExprContext c) {
            return new Nodes.Cond(line(c), col(c), expr(c.expr(0)), expr(c.expr(1)), expr(c.expr(2)));
        }

        @Override
        public Expr visitCallExpr(ProbeParser.CallExprContext c) {
            return call(c);
        }
    }

    /**
     * A visitor of one of the grammar's alternative rules. The rules the compiler walks by hand
     * (program, index, ifStmt, block, arg) never reach a visitor.
     */
    private abstract static class Alternatives<T> extends AbstractParseTreeVisitor<T> implements ProbeVisitor<T> {

        static IllegalStateException unreachable(ParserRuleContext c) {
            return new IllegalStateException("the compiler walks " + c.getClass().getSimpleName() + " by hand");
        }

        @Override
        public T visitProgram(ProbeParser.ProgramContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitIndex(ProbeParser.IndexContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitIfStmt(ProbeParser.IfStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitBlock(ProbeParser.BlockContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitArg(ProbeParser.ArgContext c) {
            throw unreachable(c);
        }
    }

    /** The statement visitor's base: a statement context never dispatches to an expression's method. */
    private abstract static class NoExpressions<T> extends Alternatives<T> {
        @Override
        public T visitCallExpr(ProbeParser.CallExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitIndexExpr(ProbeParser.IndexExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitPowerExpr(ProbeParser.PowerExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitUnaryExpr(ProbeParser.UnaryExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitMulExpr(ProbeParser.MulExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitAddExpr(ProbeParser.AddExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitRelExpr(ProbeParser.RelExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitEqExpr(ProbeParser.EqExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitAndExpr(ProbeParser.AndExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitOrExpr(ProbeParser.OrExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitCondExpr(ProbeParser.CondExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitParenExpr(ProbeParser.ParenExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitArrayExpr(ProbeParser.ArrayExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitIntExpr(ProbeParser.IntExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitFloatExpr(ProbeParser.FloatExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitStringExpr(ProbeParser.StringExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitBoolExpr(ProbeParser.BoolExprContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitVarExpr(ProbeParser.VarExprContext c) {
            throw unreachable(c);
        }
    }

    /** The expression visitor's base: an expression context never dispatches to a statement's method. */
    private abstract static class NoStatements<T> extends Alternatives<T> {
        @Override
        public T visitLetStmt(ProbeParser.LetStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitAssignStmt(ProbeParser.AssignStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitIfStatement(ProbeParser.IfStatementContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitWhileStmt(ProbeParser.WhileStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitRejectStmt(ProbeParser.RejectStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitForRangeStmt(ProbeParser.ForRangeStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitForEachStmt(ProbeParser.ForEachStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitBreakStmt(ProbeParser.BreakStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitContinueStmt(ProbeParser.ContinueStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitReturnStmt(ProbeParser.ReturnStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitFnStmt(ProbeParser.FnStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitParamStmt(ProbeParser.ParamStmtContext c) {
            throw unreachable(c);
        }

        @Override
        public T visitExprStmt(ProbeParser.ExprStmtContext c) {
            throw unreachable(c);
        }
    }

    private Expr binary(ExprContext left, ExprContext right, String op, org.antlr.v4.runtime.tree.ParseTree at) {
        Expr l = expr(left);
        Expr r = expr(right);
        Expr whole = binary(op, Nodes.FloatTree.unwrap(l), Nodes.FloatTree.unwrap(r), at);
        return FloatCode.compilable(whole) ? floatTree(whole) : binary(op, l, r, at);
    }

    private static Expr binary(String op, Expr l, Expr r, org.antlr.v4.runtime.tree.ParseTree at) {
        if (l instanceof Nodes.Local && r instanceof Nodes.Const && ((Nodes.Const) r).value instanceof Long
                && !op.equals("*") && !op.equals("/") && !op.equals("%") && !op.equals("**")) {
            return new Nodes.LocalOpConst(line(at), col(at), op, ((Nodes.Local) l).slot, (Long) ((Nodes.Const) r).value);
        }
        return new Nodes.Binary(line(at), col(at), op, l, r);
    }

    /**
     * A tree of float arithmetic, marked for compiling to bytecode once it runs often if it has two
     * operators or more (for one, the tree walk costs about what a call of the code does). An
     * operator that takes such a tree as an operand unwraps it, so that the largest tree is marked.
     */
    private static Expr floatTree(Expr tree) {
        return FloatCode.operators(tree) >= 2 ? new Nodes.FloatTree(tree) : tree;
    }

    private static boolean isSpecial(String name) {
        return Set.of("sample", "observe", "factor", "tag", "print").contains(name);
    }

    private Expr call(ProbeParser.CallExprContext c) {
        String name = c.ID().getText();
        Token at = c.ID().getSymbol();
        int line = at.getLine();
        int col = at.getCharPositionInLine() + 1;
        List<Expr> positional = new ArrayList<>();
        Map<String, Expr> named = new LinkedHashMap<>();
        for (ArgContext a : c.arg()) {
            Expr value = expr(a.expr());
            if (a.ID() != null) {
                String key = a.ID().getText();
                if (named.containsKey(key)) {
                    error(a.ID().getSymbol(), "the argument '" + key + ":' is given twice");
                }
                named.put(key, value);
            } else {
                if (!named.isEmpty()) {
                    error(a.getStart(), "positional arguments must come before named ones");
                }
                positional.add(value);
            }
        }
        switch (name) {
            case "sample":
                allowNamed(c, named, "name", "control");
                if (positional.size() != 1) {
                    arity(at, name, "1 argument (the distribution), with optional name: and control:", positional.size());
                    return dummy(line, col);
                }
                if (named.containsKey("control") && !named.containsKey("name")) {
                    error(at, "sample(..., control: false) needs a name: too, e.g. sample(d, name: \"x\", control: false)");
                }
                return new Nodes.SampleExpr(line, col, positional.get(0), named.get("name"), named.get("control"));
            case "observe":
                allowNamed(c, named, "name");
                if (named.containsKey("name") ? positional.size() != 1 : positional.size() != 2) {
                    arity(at, name, "a distribution and either name: \"...\" or a value", positional.size());
                    return dummy(line, col);
                }
                return new Nodes.ObserveExpr(line, col, positional.get(0), named.get("name"),
                        named.containsKey("name") ? null : positional.get(1));
            case "factor":
                allowNamed(c, named);
                if (positional.size() != 1) {
                    arity(at, name, "1 argument (a log weight)", positional.size());
                    return dummy(line, col);
                }
                return new Nodes.FactorExpr(line, col, positional.get(0));
            case "tag":
                allowNamed(c, named, "name");
                if (positional.size() != 1 || !named.containsKey("name")) {
                    arity(at, name, "a value and name: \"...\"", positional.size());
                    return dummy(line, col);
                }
                return new Nodes.TagExpr(line, col, positional.get(0), named.get("name"));
            case "print":
                allowNamed(c, named);
                return new Nodes.BuiltinCall(line, col, PRINT, positional.toArray(new Expr[0]));
            default:
                break;
        }
        allowNamed(c, named);
        Expr[] args = positional.toArray(new Expr[0]);
        Nodes.Function fn = functions.get(name);
        if (fn != null) {
            if (args.length != fn.arity) {
                arity(at, name, fn.arity + " argument" + (fn.arity == 1 ? "" : "s"), args.length);
            }
            Nodes.Call call = new Nodes.Call(line, col, name, args);
            calls.add(call);
            return call;
        }
        Builtins.Fn builtin = Builtins.find(name);
        if (builtin == null) {
            error(at, "undeclared function '" + name + "'");
            return dummy(line, col);
        }
        if (args.length < builtin.minArgs || args.length > builtin.maxArgs) {
            arity(at, name, builtin.arity(), args.length);
        }
        Object made = Builtins.isDistribution(name) ? madeOnce(builtin, args) : null;
        return made != null ? new Nodes.Const(line, col, made) : new Nodes.BuiltinCall(line, col, builtin, args);
    }

    /**
     * A distribution whose arguments are all number literals, negated or not (cascade.ppl's {@code Beta(2, 2)}),
     * made once here instead of on every call: distributions are immutable, and making one can
     * cost more than drawing from it (Beta's log normaliser). Null where an argument is not a
     * number literal, or where the arguments are rejected: that error is then raised where the
     * call runs, as for any other call.
     */
    private static Object madeOnce(Builtins.Fn builtin, Expr[] args) {
        Object[] values = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            Expr a = args[i];
            boolean negated = false;
            if (a instanceof Nodes.Unary u && u.negate) {
                negated = true;
                a = u.operand;
            }
            if (!(a instanceof Nodes.Const c && (c.value instanceof Long || c.value instanceof Double))) {
                return null;
            }
            values[i] = !negated ? c.value : c.value instanceof Long l ? (Object) (-l) : (Object) (-(Double) c.value);
        }
        try {
            return builtin.apply(values);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** print writes its arguments to standard error, separated by spaces. */
    private static final Builtins.Fn PRINT = new Builtins.Fn("print", 0, Integer.MAX_VALUE, a -> {
        StringBuilder sb = new StringBuilder();
        for (Object v : a) {
            sb.append(sb.length() == 0 ? "" : " ").append(Ops.text(v));
        }
        System.err.println(sb);
        return Ops.NOTHING;
    });

    private void allowNamed(ProbeParser.CallExprContext c, Map<String, Expr> named, String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (ArgContext a : c.arg()) {
            if (a.ID() != null && !ok.contains(a.ID().getText())) {
                error(a.ID().getSymbol(), c.ID().getText() + " takes no argument '" + a.ID().getText() + ":'"
                        + (allowed.length == 0 ? "" : "; it takes " + String.join(":, ", allowed) + ":"));
            }
        }
    }

    private void arity(Token at, String name, String expected, int got) {
        error(at, name + " takes " + expected + ", got " + got + " positional argument" + (got == 1 ? "" : "s"));
    }

    private static Expr dummy(int line, int col) {
        return new Nodes.Const(line, col, Ops.NOTHING);
    }

    private String unescape(String quoted, Token at) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < quoted.length() - 1; i++) {
            char ch = quoted.charAt(i);
            if (ch != '\\') {
                sb.append(ch);
                continue;
            }
            char next = quoted.charAt(++i);
            switch (next) {
                case 'n':
                    sb.append('\n');
                    break;
                case 't':
                    sb.append('\t');
                    break;
                case '"':
                case '\\':
                    sb.append(next);
                    break;
                default:
                    error(at, "unknown escape '\\" + next + "' in a string; use \\n, \\t, \\\" or \\\\");
            }
        }
        return sb.toString();
    }

    private void error(Token at, String message) {
        errors.add(new Diagnostic(at.getLine(), at.getCharPositionInLine() + 1, message));
    }

    private static int line(org.antlr.v4.runtime.tree.ParseTree t) {
        if (t instanceof TerminalNode) {
            return ((TerminalNode) t).getSymbol().getLine();
        }
        return ((ParserRuleContext) t).getStart().getLine();
    }

    private static int col(org.antlr.v4.runtime.tree.ParseTree t) {
        if (t instanceof TerminalNode) {
            return ((TerminalNode) t).getSymbol().getCharPositionInLine() + 1;
        }
        return ((ParserRuleContext) t).getStart().getCharPositionInLine() + 1;
    }
}
