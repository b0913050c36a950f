package dev.probe.runtime.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs one task body on several threads and waits for all of them. Workers get a deep stack, so
 * that recursive models (a script's interpreter nests a few dozen Java frames per call) reach
 * their own depth limit long before the JVM's.
 */
final class Workers {

    /** Stack size of a worker thread: reserved address space, committed only as it is used. */
    static final long STACK_BYTES = 1L << 30;

    private Workers() {
    }

    static void run(int threads, Runnable body) {
        List<Thread> started = new ArrayList<>();
        Throwable[] crash = new Throwable[1];
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(null, body, "probe-worker-" + t, STACK_BYTES);
            th.setDaemon(true);
            th.setUncaughtExceptionHandler((thread, e) -> {
                synchronized (crash) {
                    if (crash[0] == null) {
                        crash[0] = e;
                    }
                }
            });
            th.start();
            started.add(th);
        }
        try {
            for (Thread th : started) {
                th.join();
            }
        } catch (InterruptedException e) {
            started.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the workers", e);
        }
        if (crash[0] instanceof RuntimeException) {
            throw (RuntimeException) crash[0];
        }
        if (crash[0] instanceof Error) {
            throw (Error) crash[0];
        }
    }
}
