package dev.probe.runtime.engine;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The in-process backend: tasks claimed in order by a fixed number of worker threads, lent by the
 * process's one pool ({@link Workers}). After a task fails, no task numbered after it is started;
 * the lowest-numbered failure is thrown.
 */
final class ThreadBackend implements Backend {

    private final int threads;

    ThreadBackend(int threads) {
        this.threads = threads;
    }

    @Override
    public int parallelism() {
        return threads;
    }

    @Override
    public <R extends Serializable> List<R> map(int count, Task<R> task) {
        Object[] results = new Object[count];
        RuntimeException[] failures = new RuntimeException[count];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger(Integer.MAX_VALUE);
        IntConsumer worker = w -> {
            for (int i = next.getAndIncrement(); i < count && i < failed.get(); i = next.getAndIncrement()) {
                try {
                    results[i] = task.run(i);
                } catch (RuntimeException e) {
                    failures[i] = e;
                    failed.accumulateAndGet(i, Math::min);
                }
            }
        };
        // Always on workers, even one: their deep stacks serve recursive models.
        Workers.run(Math.max(1, Math.min(threads, count)), worker);
        for (RuntimeException f : failures) {
            if (f != null) {
                throw f;
            }
        }
        List<R> out = new ArrayList<>(count);
        for (Object r : results) {
            @SuppressWarnings("unchecked")
            R typed = (R) r;
            out.add(typed);
        }
        return out;
    }

    @Override
    public void together(int count, IntConsumer part) {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative, got " + count);
        }
        Workers.run(count, part);
    }
}
