package dev.probe.language;

import dev.probe.runtime.model.ModelException;

/**
 * A run that went past one of a script model's limits (see {@link Script#model(java.util.Map, long, int)}).
 * The message names the limit by its parameter's Java name ({@link Limit#setting()}), which front
 * ends with names of their own replace.
 */
public final class ScriptLimitException extends ModelException {

    private static final long serialVersionUID = 1L;

    /** The limits of a script model. */
    public enum Limit {
        /** Statements in one run. */
        STEPS("maxSteps"),
        /** Nested calls. */
        DEPTH("maxDepth");

        private final String setting;

        Limit(String setting) {
            this.setting = setting;
        }

        /** The limit's parameter name, as the messages spell it. */
        public String setting() {
            return setting;
        }
    }

    private final Limit limit;

    ScriptLimitException(String message, Limit limit) {
        super(message);
        this.limit = limit;
    }

    /** The limit that was reached. */
    public Limit limit() {
        return limit;
    }
}
