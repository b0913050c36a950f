package dev.probe.runtime.model;

/**
 * Thrown out of a {@link Context} call when the engine abandons the run on purpose: Sequential
 * Monte Carlo stops each particle's run at its next observation, and continues it later by
 * replay. It is not a failure, and an {@link Error} so that a model's own exception handlers let
 * it pass. A model source that holds something outside the JVM for the run (an external
 * simulator's connection) should end the run on that side, keep what is still usable, and let
 * this propagate. Carries no stack trace.
 */
public final class RunAbandoned extends Error {

    private static final long serialVersionUID = 1L;

    /** The one instance: it carries nothing but its type. */
    public static final RunAbandoned INSTANCE = new RunAbandoned();

    private RunAbandoned() {
        super("the engine stopped the run at its observation limit", null, false, false);
    }
}
