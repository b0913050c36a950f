package dev.probe.language;

/**
 * A run-time error inside a script, at a place. The interpreter turns it into a
 * {@link dev.probe.runtime.model.ModelException} whose message shows the place; the engine adds
 * the run and seed.
 */
final class ScriptError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    final int line;
    final int col;

    ScriptError(int line, int col, String message) {
        super(message, null, false, false);
        this.line = line;
        this.col = col;
    }
}
