package dev.probe.runtime.inference;

import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.probe.runtime.ProbeException;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.model.RetryRunException;
import dev.probe.runtime.posterior.PosteriorBuilder;

/**
 * Runs a model many times independently on several threads: prior sampling and importance
 * sampling. Runs are cut into fixed chunks; run i always draws from generator (seed, i); so the
 * posterior depends on the seed alone. When runs fail, the first failing run in run order is
 * reported, whatever the thread count.
 */
final class IndependentRuns {

    /** Runs per chunk: small enough to balance two threads, large enough to amortise the merge. */
    static final int CHUNK = 1024;

    /** How many times a run lost by its model source (a dead simulator) is tried. */
    static final int MAX_ATTEMPTS = 3;

    /** Results of a batch of runs, filled into a posterior builder. */
    static final class Outcome {
        final Set<String> observedNames = new TreeSet<>();
        long proposed;
        long fallbacks;
        long uncontrolled;

        /** Adds what one worker's execution met. */
        synchronized void add(ProposalExecution ex, Set<String> observed) {
            observedNames.addAll(observed);
            proposed += ex.proposed();
            fallbacks += ex.fallbacks();
            uncontrolled += ex.uncontrolled();
        }
    }

    private IndependentRuns() {
    }

    /**
     * Runs {@code settings.traces()} runs, weighted by {@code importance} (IS) or not (prior),
     * into {@code builder}.
     */
    static Outcome run(Settings settings, boolean conditioning, boolean importance, PosteriorBuilder builder) {
        int n = settings.traces();
        int chunks = (n + CHUNK - 1) / CHUNK;
        int threads = Math.max(1, Math.min(settings.threads(), chunks));
        CallSites callSites = Execution.callSites();
        AtomicInteger nextChunk = new AtomicInteger();
        AtomicInteger failedChunk = new AtomicInteger(Integer.MAX_VALUE);
        AtomicLong done = new AtomicLong();
        Outcome outcome = new Outcome();
        RuntimeException[] failures = new RuntimeException[chunks];
        // Runs advanced side by side must all be able to run at once (one simulator each, say);
        // the group size depends on the model, never on the thread count's effect on results
        // beyond that bound.
        int group = importance ? Math.max(1, Math.min(settings.proposal().groupSize(),
                settings.model().maxConcurrentRuns() / threads)) : 1;
        Runnable worker = group > 1 ? () -> groupedWorker(settings, conditioning, callSites, builder, outcome, group, chunks,
                nextChunk, failedChunk, failures, done) : () -> {
            Set<String> observed = new HashSet<>();
            ProposalExecution ex = new ProposalExecution(settings.observations(), conditioning, callSites, observed,
                    settings.proposal());
            while (true) {
                int c = claim(nextChunk, failedChunk, chunks);
                if (c < 0) {
                    break;
                }
                int start = c * CHUNK;
                int end = Math.min(n, start + CHUNK);
                PosteriorBuilder.Chunk chunk = builder.chunk(start, end - start);
                try {
                    for (int run = start; run < end; run++) {
                        chunk.record(run, runOne(settings, ex, run, null, 0, importance));
                    }
                } catch (RuntimeException e) {
                    failures[c] = e;
                    failedChunk.accumulateAndGet(c, Math::min);
                    break;
                }
                builder.add(chunk);
                settings.progress().progress(done.addAndGet(end - start), n);
            }
            outcome.add(ex, observed);
        };
        Workers.run(threads, worker);
        for (RuntimeException f : failures) {
            if (f != null) {
                throw f;
            }
        }
        return outcome;
    }

    /**
     * Run {@code run} on {@code ex}, as member {@code member} of {@code group} (null: on its own).
     * A retried run starts again from its own generator: the same numbers, the same run.
     */
    private static dev.probe.runtime.trace.Trace runOne(Settings settings, ProposalExecution ex, int run, RunGroup group,
            int member, boolean importance) {
        Object result = retrying(() -> {
            ex.begin(Seeds.generator(settings.seed(), run), group, member);
            return ex.runModel(settings.model());
        }, () -> { }, "run", "run", run, settings.seed());
        return ex.finish(result, importance ? ex.logImportanceWeight() : 0);
    }

    /** The next chunk to run, or -1 when none is left or an earlier chunk failed. */
    private static int claim(AtomicInteger nextChunk, AtomicInteger failedChunk, int chunks) {
        int c = nextChunk.getAndIncrement();
        return c >= chunks || c > failedChunk.get() ? -1 : c;
    }

    /** Stack size of a grouped run's thread: reserved, committed only as used. */
    static final long GROUP_STACK_BYTES = 256L << 20;

    /**
     * A worker whose runs advance in groups of {@code size} consecutive runs, each run on a thread
     * of its own, so that the proposal can batch their requests ({@link RunGroup}). Groups never
     * depend on the thread count, and runs are recorded in run order.
     */
    private static void groupedWorker(Settings settings, boolean conditioning, CallSites callSites, PosteriorBuilder builder,
            Outcome outcome, int size, int chunks, AtomicInteger nextChunk, AtomicInteger failedChunk, RuntimeException[] failures,
            AtomicLong done) {
        int n = settings.traces();
        java.util.List<ProposalExecution> executions = new java.util.ArrayList<>();
        java.util.List<Set<String>> observedSets = new java.util.ArrayList<>();
        ThreadLocal<ProposalExecution> local = ThreadLocal.withInitial(() -> {
            Set<String> observed = new HashSet<>();
            ProposalExecution ex = new ProposalExecution(settings.observations(), conditioning, callSites, observed,
                    settings.proposal());
            synchronized (executions) {
                executions.add(ex);
                observedSets.add(observed);
            }
            return ex;
        });
        AtomicInteger threadIds = new AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(size, r -> {
            Thread t = new Thread(null, r, "probe-run-" + threadIds.getAndIncrement(), GROUP_STACK_BYTES);
            t.setDaemon(true);
            return t;
        });
        try {
            while (true) {
                int c = claim(nextChunk, failedChunk, chunks);
                if (c < 0) {
                    break;
                }
                int start = c * CHUNK;
                int end = Math.min(n, start + CHUNK);
                dev.probe.runtime.trace.Trace[] traces = new dev.probe.runtime.trace.Trace[end - start];
                RuntimeException[] errors = new RuntimeException[end - start];
                for (int g0 = start; g0 < end; g0 += size) {
                    int g1 = Math.min(end, g0 + size);
                    RunGroup group = new RunGroup(g1 - g0);
                    java.util.List<java.util.concurrent.Future<?>> members = new java.util.ArrayList<>();
                    for (int r = g0; r < g1; r++) {
                        int run = r;
                        int member = r - g0;
                        members.add(pool.submit(() -> {
                            try {
                                traces[run - start] = runOne(settings, local.get(), run, group, member, true);
                            } catch (RuntimeException e) {
                                errors[run - start] = e;
                            } finally {
                                group.leave(member);
                            }
                        }));
                    }
                    for (java.util.concurrent.Future<?> f : members) {
                        try {
                            f.get();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted while running a group of runs", e);
                        } catch (java.util.concurrent.ExecutionException e) {
                            throw new IllegalStateException(e.getCause());
                        }
                    }
                }
                RuntimeException first = null;
                for (RuntimeException e : errors) {
                    if (e != null) {
                        first = e;
                        break;
                    }
                }
                if (first != null) {
                    failures[c] = first;
                    failedChunk.accumulateAndGet(c, Math::min);
                    break;
                }
                PosteriorBuilder.Chunk chunk = builder.chunk(start, end - start);
                for (int i = 0; i < traces.length; i++) {
                    chunk.record(start + i, traces[i]);
                }
                builder.add(chunk);
                settings.progress().progress(done.addAndGet(end - start), n);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < executions.size(); i++) {
            outcome.add(executions.get(i), observedSets.get(i));
        }
    }

    /**
     * Runs {@code attempt}; when its model source loses it ({@link RetryRunException}, a dead or
     * stalled simulator), calls {@code reset} and runs it again, {@link #MAX_ATTEMPTS} times in all.
     * Any other failure is wrapped as the user should see it, naming {@code stream} {@code index};
     * {@code lost} names what was lost ("run", "a step of chain"), followed by the index.
     */
    static <T> T retrying(Supplier<T> attempt, Runnable reset, String lost, String stream, long index, long seed) {
        for (int tries = 1;; tries++) {
            try {
                return attempt.get();
            } catch (RetryRunException e) {
                if (tries >= MAX_ATTEMPTS) {
                    throw new SimulatorException(lost + " " + index + " was lost " + MAX_ATTEMPTS + " times; the last time: "
                            + e.getMessage());
                }
                reset.run();
            } catch (RuntimeException | StackOverflowError e) {
                throw wrap(e, stream, index, seed);
            }
        }
    }

    /** A run's failure as the user should see it; Probe's own non-model errors pass unchanged. */
    static RuntimeException wrap(Throwable e, String stream, long run, long seed) {
        if (e instanceof ProbeException && !(e instanceof ModelException)) {
            return (ProbeException) e;
        }
        if (e instanceof RunException) {
            return (RunException) e;
        }
        if (e instanceof StackOverflowError) {
            return new RunException(run, seed, stream, new ModelException("the model recursed too deeply (stack overflow)"));
        }
        return new RunException(run, seed, stream, e);
    }
}
