package dev.probe.language;

import java.util.Map;

import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelException;

/** A checked script as a runtime model: one call of {@link #run} interprets the script once. */
final class ScriptModel implements Model {

    private final SourceText source;
    private final Compiler.Program program;
    private final Map<Integer, Object> overrides;
    private final long maxSteps;
    private final int maxDepth;
    private final CallContext root = CallContext.root();
    private final String name;

    ScriptModel(SourceText source, Compiler.Program program, Map<Integer, Object> overrides, long maxSteps, int maxDepth) {
        this.source = source;
        this.program = program;
        this.overrides = Map.copyOf(overrides);
        this.maxSteps = maxSteps;
        this.maxDepth = maxDepth;
        this.name = source.name();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Object run(Context ctx) {
        Nodes.Run run = new Nodes.Run(ctx, maxSteps, maxDepth);
        Nodes.Frame main = new Nodes.Frame(new Object[program.mainSlots], run, root, "main");
        run.globals = main.slots;
        try {
            for (Nodes.Stmt s : program.main) {
                if (s instanceof Nodes.ParamStmt && overrides.containsKey(((Nodes.ParamStmt) s).slot)) {
                    main.slots[((Nodes.ParamStmt) s).slot] = overrides.get(((Nodes.ParamStmt) s).slot);
                    continue;
                }
                if (s.run(main) == Nodes.RETURN) {
                    return Ops.toRuntime(main.returned);
                }
            }
            return null;
        } catch (ScriptError e) {
            throw new ModelException(source.render(e.line, e.col, e.getMessage()));
        } catch (StackOverflowError e) {
            throw new ModelException(source.name() + ": the script's calls nest too deeply for the Java stack;"
                    + " lower --max-depth (now " + maxDepth + ")");
        }
    }
}
