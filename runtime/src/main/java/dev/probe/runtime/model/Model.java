package dev.probe.runtime.model;

/**
 * A probabilistic program: one call of {@link #run} is one execution of the simulator. Every
 * random choice goes through the {@link Context} it is handed, so the engine decides it.
 *
 * <p>A model holds no state between runs; engines call it from several threads at once, each
 * call with its own context.
 */
@FunctionalInterface
public interface Model {

    /** Runs the program once and returns its result (or {@code null}). */
    Object run(Context context);

    /** A name for reports and saved files; models from other sources add a version or a hash. */
    default String name() {
        return getClass().getSimpleName();
    }

    /**
     * What a trained proposal network is tied to: the same identity means the same program (a
     * script's hash, an external simulator's name and version). Defaults to {@link #name()}.
     */
    default String identity() {
        return name();
    }

    /**
     * How many runs of this model may be in progress at once (over all threads): unbounded for
     * models that compute in the caller's thread; for external simulators, the runs the attached
     * ones serve at once (one each, or several for a simulator that serves runs concurrently). Engines that advance runs side by side stay within it.
     */
    default int maxConcurrentRuns() {
        return Integer.MAX_VALUE;
    }

    /**
     * How many runs drawn from the prior alone (prior sampling, importance sampling from the prior)
     * an engine of independent runs should keep in progress per thread, and per unit of
     * {@link #maxConcurrentRuns()}: more than one for a model source that serves several such runs
     * at once (external simulators that queue them); 1 by default.
     */
    default int runsPerThread() {
        return 1;
    }

    /**
     * Whether this model source can start runs drawn from the prior alone ahead of time
     * ({@link #startAhead}): an engine of independent runs then keeps {@link #runsPerThread()} of
     * them in progress from one thread, with no thread per run. False by default.
     */
    default boolean startsAhead() {
        return false;
    }

    /**
     * Starts the runs of {@code runs}, in order, without waiting for them: each context has begun
     * its run (its generator set), and each run started is later completed by {@link #run} on the
     * same context, in the same order, on the caller's thread. Starts none where that would mean
     * waiting (no capacity free) and returns how many it started, a prefix of {@code runs}; those
     * not started are run by {@link #run} as any other. Called only where {@link #startsAhead()}.
     */
    default int startAhead(java.util.List<? extends Context> runs) {
        return 0;
    }

    /**
     * The grid shape of the named observation where the model source knows one (an external
     * simulator sends tensors with shapes; the runtime's values are flat), or null. Inference
     * compilation embeds an observation with a 2-D or 3-D shape by a CNN.
     */
    default int[] observationShape(String name) {
        return null;
    }

    /** A model with a name. */
    static Model named(String name, Model body) {
        return new NamedModel(name, body);
    }
}
