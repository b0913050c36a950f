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
        Runnable worker = () -> {
            Set<String> observed = new HashSet<>();
            ProposalExecution ex = new ProposalExecution(settings.observations(), conditioning, callSites, observed,
                    settings.proposal());
            while (true) {
                int c = nextChunk.getAndIncrement();
                if (c >= chunks || c > failedChunk.get()) {
                    break;
                }
                int start = c * CHUNK;
                int end = Math.min(n, start + CHUNK);
                PosteriorBuilder.Chunk chunk = builder.chunk(start, end - start);
                try {
                    for (int run = start; run < end; run++) {
                        int r = run;
                        // A retried run starts again from its own generator: the same numbers, the same run.
                        Object result = retrying(() -> {
                            ex.begin(Seeds.generator(settings.seed(), r));
                            return ex.runModel(settings.model());
                        }, () -> { }, "run", "run", run, settings.seed());
                        chunk.record(run, ex.finish(result, importance ? ex.logImportanceWeight() : 0));
                    }
                } catch (RuntimeException e) {
                    failures[c] = e;
                    failedChunk.accumulateAndGet(c, Math::min);
                    break;
                }
                builder.add(chunk);
                settings.progress().progress(done.addAndGet(end - start), n);
            }
            synchronized (outcome) {
                outcome.observedNames.addAll(observed);
                outcome.proposed += ex.proposed();
                outcome.fallbacks += ex.fallbacks();
            }
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
