package dev.probe.language;

import java.util.List;

import dev.probe.runtime.model.ModelException;

/** A script that does not parse or check: every error found, each with its place. */
public final class ScriptException extends ModelException {

    private static final long serialVersionUID = 1L;

    private final transient List<Diagnostic> diagnostics;

    ScriptException(SourceText source, List<Diagnostic> diagnostics) {
        super(render(source, diagnostics));
        this.diagnostics = List.copyOf(diagnostics);
    }

    private static String render(SourceText source, List<Diagnostic> diagnostics) {
        StringBuilder sb = new StringBuilder();
        for (Diagnostic d : diagnostics) {
            if (sb.length() > 0) {
                sb.append(System.lineSeparator());
            }
            sb.append(source.render(d.line(), d.col(), d.message()));
        }
        int n = diagnostics.size();
        sb.append(System.lineSeparator()).append(n).append(n == 1 ? " error" : " errors").append(" in ").append(source.name());
        return sb.toString();
    }

    /** The errors, in the order of the source. */
    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }
}
