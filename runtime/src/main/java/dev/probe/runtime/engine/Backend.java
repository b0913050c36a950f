package dev.probe.runtime.engine;

import java.io.Serializable;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Where an inference's work runs: the execution seam. An engine cuts its work into numbered
 * tasks (runs [a, b) of an inference, a chain, a range of particles), each of which depends only
 * on its index and what the engine captured, and gets their results back in task order. So the
 * result never depends on the backend, its parallelism or the order in which tasks finish.
 *
 * <p>The default runs tasks on threads of this process ({@link #threads}); nothing else in the
 * runtime starts threads: where the parts of one task must run at once ({@link #together}), they
 * too run on the thread pool's threads. A backend on a cluster ships tasks and their results, so
 * tasks and results are {@link Serializable}.
 */
public interface Backend {

    /**
     * Runs tasks {@code 0 .. count - 1} and returns their results in task order. When tasks
     * fail, the failure of the lowest-numbered failing task is thrown, and tasks numbered after
     * it may be skipped.
     */
    <R extends Serializable> List<R> map(int count, Task<R> task);

    /** How many tasks run at once: engines may cut their work by it, never change the result by it. */
    int parallelism();

    /**
     * Runs parts {@code 0 .. count - 1} of the task in hand all at once, each on a thread of its
     * own, and returns when all have finished: for a task whose parts wait on each other (runs
     * advanced side by side so that a proposal can answer them in one batch, {@link
     * dev.probe.runtime.inference.RunGroup}). Called from inside a task, wherever it runs; nothing
     * may depend on which thread runs which part. What the lowest-numbered failing part threw is
     * thrown. The default lends the in-process thread pool's threads.
     */
    default void together(int count, IntConsumer part) {
        threads(1).together(count, part);
    }

    /** One numbered task. */
    @FunctionalInterface
    interface Task<R extends Serializable> extends Serializable {
        /** Task {@code index}'s result. */
        R run(int index);
    }

    /**
     * Tasks one after another on the calling thread, in task order; the first failure is thrown
     * and no later task is started. For measuring a task's own work (its thread's CPU time and
     * allocated bytes); {@link #together} still lends the thread pool's threads.
     */
    static Backend callingThread() {
        return new Backend() {
            @Override
            public <R extends Serializable> List<R> map(int count, Task<R> task) {
                List<R> results = new java.util.ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    results.add(task.run(i));
                }
                return results;
            }

            @Override
            public int parallelism() {
                return 1;
            }
        };
    }

    /** Tasks on {@code threads} threads of this process, deep-stacked for recursive models. */
    static Backend threads(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be positive, got " + threads);
        }
        return new ThreadBackend(threads);
    }
}
