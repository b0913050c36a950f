package dev.probe.runtime.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The thread-pool backend's threads: the only threads the runtime starts. One pool serves the
 * process: a thread is made when work finds none idle and ends after {@link #IDLE_SECONDS} without
 * work, so an inference (or a command of many) reuses its threads from task to task and call to
 * call, and a native library's per-thread set-up (PyTorch's) happens once per thread, not once per
 * call. Which thread runs what never changes a result. Workers get a deep stack, so that recursive
 * models (a script's interpreter nests a few dozen Java frames per call) reach their own depth limit
 * long before the JVM's.
 */
final class Workers {

    /** Stack size of a worker thread: reserved address space, committed only as it is used. */
    static final long STACK_BYTES = 1L << 30;

    /** How long an idle worker waits for work before it ends. */
    static final long IDLE_SECONDS = 30;

    private static final AtomicInteger IDS = new AtomicInteger();

    private static final ExecutorService POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS, TimeUnit.SECONDS,
            new SynchronousQueue<>(), body -> {
                Thread t = new Thread(null, body, "probe-worker-" + IDS.getAndIncrement(), STACK_BYTES);
                t.setDaemon(true);
                return t;
            });

    private Workers() {
    }

    /**
     * Runs {@code body} for {@code 0 .. count - 1}, all at once, each on a worker of its own, and
     * waits for all of them. What the lowest-numbered failing body threw is thrown.
     */
    static void run(int count, IntConsumer body) {
        List<Future<?>> started = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int index = i;
            started.add(POOL.submit(() -> body.accept(index)));
        }
        Throwable first = null;
        for (Future<?> f : started) {
            try {
                f.get();
            } catch (InterruptedException e) {
                started.forEach(s -> s.cancel(true));
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the workers", e);
            } catch (ExecutionException e) {
                if (first == null) {
                    first = e.getCause();
                }
            }
        }
        if (first instanceof RuntimeException r) {
            throw r;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException(first);
        }
    }
}
