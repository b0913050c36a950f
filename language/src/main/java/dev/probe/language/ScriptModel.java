package dev.probe.language;

import java.util.Map;

import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelException;

/** A checked script as a runtime model: one call of {@link #run} interprets the script once. */
final class ScriptModel implements Model {

    private final SourceText source;
    private final Compiler.Program program;
    /** The top level's statements, with overridden params set to the user's values. */
    private final Nodes.Stmt[] main;
    private final long maxSteps;
    private final int maxDepth;
    private final CallContext root = CallContext.root();
    private final String name;

    ScriptModel(SourceText source, Compiler.Program program, Map<Integer, Object> overrides, long maxSteps, int maxDepth) {
        this.source = source;
        this.program = program;
        this.main = program.main.clone();
        for (int i = 0; i < main.length; i++) {
            if (main[i] instanceof Nodes.ParamStmt && overrides.containsKey(((Nodes.ParamStmt) main[i]).slot)) {
                Nodes.ParamStmt p = (Nodes.ParamStmt) main[i];
                main[i] = p.given(overrides.get(p.slot));
            }
        }
        this.maxSteps = maxSteps;
        this.maxDepth = maxDepth;
        this.name = source.name();
    }

    @Override
    public String name() {
        return name;
    }

    /** The script's text decides: its SHA-256, whatever the file is called. */
    @Override
    public String identity() {
        return "script sha256:" + source.hash();
    }

    @Override
    public Object run(Context ctx) {
        Nodes.Run run = new Nodes.Run(ctx, maxSteps, maxDepth);
        Nodes.Frame frame = new Nodes.Frame(new Object[program.mainSlots], run, root, "main");
        run.globals = frame.slots;
        try {
            for (Nodes.Stmt s : main) {
                if (s.run(frame) == Nodes.RETURN) {
                    return Ops.toRuntime(frame.returned);
                }
            }
            return null;
        } catch (ScriptError e) {
            String shown = source.render(e.line, e.col, e.getMessage());
            throw e.limit != null ? new ScriptLimitException(shown, e.limit) : new ModelException(shown, e.getCause());
        } catch (StackOverflowError e) {
            throw new ScriptLimitException(source.name() + ": the script's calls nest too deeply for the Java stack;"
                    + " lower " + ScriptLimitException.Limit.DEPTH.setting() + " (now " + maxDepth + ")", ScriptLimitException.Limit.DEPTH);
        }
    }
}
