package dev.probe.runtime.inference;

import dev.probe.runtime.model.ModelException;

/** A run that failed: the message names the run and the seed that reproduce it. */
public final class RunException extends ModelException {

    private static final long serialVersionUID = 1L;

    private final long run;
    private final long seed;

    RunException(long run, long seed, String stream, Throwable cause) {
        super(describe(cause) + " (in " + stream + " " + run + " of seed " + seed + "; rerun with --seed " + seed
                + " to reproduce it)", cause);
        this.run = run;
        this.seed = seed;
    }

    private static String describe(Throwable cause) {
        String m = cause.getMessage();
        if (cause instanceof ModelException || cause instanceof IllegalArgumentException) {
            return m;
        }
        return cause.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** The index of the failed run (or chain). */
    public long run() {
        return run;
    }

    /** The root seed. */
    public long seed() {
        return seed;
    }
}
