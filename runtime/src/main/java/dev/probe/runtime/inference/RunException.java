package dev.probe.runtime.inference;

import dev.probe.runtime.model.ModelException;

/** A run that failed: the message ends its first line with the run and the seed that reproduce it ({@link #where()}). */
public final class RunException extends ModelException {

    private static final long serialVersionUID = 1L;

    private final long run;
    private final long seed;
    private final String where;

    public RunException(long run, long seed, String stream, Throwable cause) {
        super(withRun(describe(cause), " (" + where(stream, run, seed) + ")"), cause);
        this.run = run;
        this.seed = seed;
        this.where = where(stream, run, seed);
    }

    private static String where(String stream, long run, long seed) {
        return "in " + stream + " " + run + " of seed " + seed;
    }

    /** Puts the run's description at the end of the message's first line (later lines show the source). */
    private static String withRun(String message, String run) {
        int nl = message.indexOf('\n');
        if (nl < 0) {
            return message + run;
        }
        int end = nl > 0 && message.charAt(nl - 1) == '\r' ? nl - 1 : nl;
        return message.substring(0, end) + run + message.substring(end);
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

    /** Where it failed, as the message's first line ends: "in run 12 of seed 7" (the same seed reproduces it). */
    public String where() {
        return where;
    }

    /** The root seed. */
    public long seed() {
        return seed;
    }
}
