package dev.probe.language;

/**
 * A run-time error inside a script, at a place. The interpreter turns it into a
 * {@link dev.probe.runtime.model.ModelException} whose message shows the place (keeping the
 * runtime's exception, if one caused it, as the cause); the engine adds the run and seed.
 */
final class ScriptError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int line;
    final int col;
    /** The limit this error reached, or null. */
    final ScriptLimitException.Limit limit;

    ScriptError(int line, int col, String message, Throwable cause, ScriptLimitException.Limit limit) {
        super(message, cause, false, false);
        this.line = line;
        this.col = col;
        this.limit = limit;
    }
}
