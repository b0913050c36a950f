package dev.probe.runtime.engine;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import dev.probe.runtime.ProbeException;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.RunException;
import dev.probe.runtime.inference.RunGroup;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.model.RetryRunException;
import dev.probe.runtime.posterior.PosteriorBuilder;
import dev.probe.runtime.trace.Trace;

/**
 * The unit of work of engines whose runs are independent (prior sampling, importance sampling,
 * inference compilation): runs [start, end) of an inference, computed anywhere into a standalone,
 * serializable {@link Block}. Run i always draws from generator (seed, i), so a block depends on
 * the settings and its range alone; blocks {@link #merge merged} in run order make the same
 * posterior, to the last bit, however the runs were cut and wherever they ran.
 */
public final class IndependentRuns {

    /** Runs per block when an engine cuts the work: small enough to balance threads, large enough to amortise the merge. */
    public static final int BLOCK = 1024;

    /** How many times a run lost by its model source (a dead simulator) is tried. */
    static final int MAX_ATTEMPTS = 3;

    private IndependentRuns() {
    }

    /**
     * Runs [start, end): their columns and weights, the counts of the proposal's work, and the
     * names of the observations they met.
     */
    public record Block(int start, int end, PosteriorBuilder.Chunk chunk, long proposed, long fallbacks, long uncontrolled,
            TreeSet<String> observedNames) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * What a block of runs does.
     *
     * @param proposal     where controlled choices come from
     * @param conditioning true to condition on the observations; false to simulate those with no value (prior sampling)
     * @param weighted     true to weight runs by p(x, y) / q(x); false for unweighted runs
     */
    public record Work(Proposal proposal, boolean conditioning, boolean weighted) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** All {@code settings.traces()} runs, cut into blocks of {@link #BLOCK} run as tasks of the settings' backend. */
    public static List<Block> run(Settings settings, Work work) {
        int n = settings.traces();
        int blocks = (n + BLOCK - 1) / BLOCK;
        AtomicLong done = new AtomicLong();
        return settings.backend().map(blocks, b -> {
            Block block = compute(settings, work, b * BLOCK, Math.min(n, (b + 1) * BLOCK));
            settings.progress().progress(done.addAndGet(block.end() - block.start()), n);
            return block;
        });
    }

    /** Merges blocks covering every run, in run order, into {@code builder}; returns their summed counts. */
    public static Block merge(List<Block> blocks, PosteriorBuilder builder) {
        long proposed = 0;
        long fallbacks = 0;
        long uncontrolled = 0;
        TreeSet<String> observed = new TreeSet<>();
        List<Block> ordered = new ArrayList<>(blocks);
        ordered.sort(java.util.Comparator.comparingInt(Block::start));
        int next = ordered.isEmpty() ? 0 : ordered.get(0).start();
        for (Block b : ordered) {
            if (b.start() != next) {
                throw new IllegalArgumentException("blocks of runs must follow each other: one ends at run " + next
                        + ", the next starts at " + b.start());
            }
            next = b.end();
            builder.add(b.chunk());
            proposed += b.proposed();
            fallbacks += b.fallbacks();
            uncontrolled += b.uncontrolled();
            observed.addAll(b.observedNames());
        }
        int first = ordered.isEmpty() ? 0 : ordered.get(0).start();
        return new Block(first, next, null, proposed, fallbacks, uncontrolled, observed);
    }

    /**
     * Runs [start, end) of the inference: run i draws from generator (seed, i). Runs advance in
     * groups when the proposal asks for it ({@link Proposal#groupSize}), a group's runs at once on
     * the backend's threads so that the proposal can batch their requests.
     */
    public static Block compute(Settings settings, Work work, int start, int end) {
        Set<String> observed = new HashSet<>();
        CallSites callSites = Execution.callSites();
        PosteriorBuilder.Chunk chunk = PosteriorBuilder.chunk(start, end - start, settings.recordAddresses(),
                settings.keepTraces(), settings.observations().nameSet());
        // Runs advanced side by side must all be able to run at once (one simulator each, say);
        // the group size depends on the model, never on the backend beyond that bound.
        int wanted = work.weighted() ? work.proposal().groupSize() : 1;
        long bound = settings.model().maxConcurrentRuns();
        if (work.proposal() == Proposal.PRIOR) {
            // Runs that decide nothing never wait on each other: a model source that carries several
            // at once (runsPerThread) gets them in groups.
            wanted = Math.max(wanted, settings.model().runsPerThread());
            bound *= settings.model().runsPerThread();
        }
        int group = (int) Math.max(1, Math.min(wanted, bound / settings.backend().parallelism()));
        long[] counts = new long[3];
        if (group > 1 && work.proposal() == Proposal.PRIOR && settings.model().startsAhead()) {
            ahead(settings, work, callSites, chunk, observed, group, start, end, counts);
        } else if (group > 1) {
            grouped(settings, work, callSites, chunk, observed, group, start, end, counts);
        } else {
            ProposalExecution ex = execution(settings, work, callSites, observed, chunk);
            oneAtATime(settings, work.weighted(), ex, chunk, start, end);
            count(ex, counts);
        }
        return new Block(start, end, chunk, counts[0], counts[1], counts[2], new TreeSet<>(observed));
    }

    /**
     * Runs [start, end) one after another on {@code ex}: the hot loop of prior and importance
     * sampling. It is a method of its own, small and called once per block, so that the JIT
     * compiles it whole (not as an on-stack replacement inside {@link #compute}) with the start of
     * a run, the model's call and the recording of its entries in one piece; a run lost by its
     * model source goes to {@link #runOne}, off this path.
     */
    private static void oneAtATime(Settings settings, boolean weighted, ProposalExecution ex, PosteriorBuilder.Chunk chunk,
            int start, int end) {
        Model model = settings.model();
        long seed = settings.seed();
        Seeds.Stream rng = Seeds.stream(seed, start);
        for (int run = start; run < end; run++) {
            Object result;
            try {
                ex.begin(rng.moveTo(seed, run), null, 0);
                // Through the execution, whose frame ends the call-site chains of unnamed choices.
                result = ex.runModel(model);
            } catch (RetryRunException e) {
                lostAgain(e, 1, "run", run);
                result = runOne(settings, ex, rng, run, null, 0, 2);
            } catch (RuntimeException | StackOverflowError e) {
                throw wrap(e, "run", run, seed);
            }
            ex.record(chunk, run, result, weighted ? ex.logImportanceWeight() : 0);
        }
    }

    /** An execution of this work's runs, one at a time, recording only what the chunk keeps. */
    private static ProposalExecution execution(Settings settings, Work work, CallSites callSites, Set<String> observed,
            PosteriorBuilder.Chunk chunk) {
        ProposalExecution ex = new ProposalExecution(settings.observations(), work.conditioning(), callSites, observed,
                work.proposal()).allowSelfDraw();
        if (!chunk.keepsTraces()) {
            ex.recordOnly();
        }
        return ex;
    }

    /** Adds {@code ex}'s proposals, fallbacks and uncontrolled choices to {@code counts}. */
    private static void count(ProposalExecution ex, long[] counts) {
        counts[0] += ex.proposed();
        counts[1] += ex.fallbacks();
        counts[2] += ex.uncontrolled();
    }

    /**
     * Run {@code run} on {@code ex}, as member {@code member} of {@code group} (null: on its own).
     * A retried run starts again from the start of its stream on {@code rng}: the same numbers, the same run.
     */
    private static Object runOne(Settings settings, ProposalExecution ex, Seeds.Stream rng, int run, RunGroup group,
            int member) {
        return runOne(settings, ex, rng, run, group, member, 1);
    }

    /** {@link #runOne}, counting this as try {@code first} of the run. */
    private static Object runOne(Settings settings, ProposalExecution ex, Seeds.Stream rng, int run, RunGroup group,
            int member, int first) {
        // retrying's loop, written out: a lambda per run would cost an object per run on the hot path.
        for (int tries = first;; tries++) {
            try {
                ex.begin(rng.moveTo(settings.seed(), run), group, member);
                return ex.runModel(settings.model());
            } catch (RetryRunException e) {
                lostAgain(e, tries, "run", run);
            } catch (RuntimeException | StackOverflowError e) {
                throw wrap(e, "run", run, settings.seed());
            }
        }
    }

    /**
     * Runs [start, end) from one thread with up to {@code window} of them in progress, for a model
     * source that starts runs ahead ({@link dev.probe.runtime.model.Model#startAhead}): runs are
     * started in batches whenever half the window is free, and completed and recorded in run order.
     * Each run in progress has an execution of its own; run i still draws from generator (seed, i),
     * so the result is that of one run at a time. A run the model could not start ahead, or lost
     * (retried), is run as any other.
     */
    private static void ahead(Settings settings, Work work, CallSites callSites, PosteriorBuilder.Chunk chunk,
            Set<String> observed, int window, int start, int end, long[] counts) {
        Model model = settings.model();
        ProposalExecution[] executions = new ProposalExecution[window];
        Seeds.Stream[] streams = new Seeds.Stream[window];
        for (int i = 0; i < window; i++) {
            executions[i] = execution(settings, work, callSites, observed, chunk);
            streams[i] = Seeds.stream(settings.seed(), start);
        }
        List<ProposalExecution> starting = new ArrayList<>(window);
        int next = start;
        for (int run = start; run < end; run++) {
            next = Math.max(next, run);
            if (next < end && next - run <= window / 2) {
                starting.clear();
                for (int r = next; r < end && r - run < window; r++) {
                    int slot = (r - start) % window;
                    executions[slot].begin(streams[slot].moveTo(settings.seed(), r), null, 0);
                    starting.add(executions[slot]);
                }
                try {
                    next += model.startAhead(starting);
                } catch (RuntimeException e) {
                    throw wrap(e, "run", next, settings.seed());
                }
            }
            int slot = (run - start) % window;
            ProposalExecution ex = executions[slot];
            Object result;
            if (run < next) {
                try {
                    result = ex.runModel(model);
                } catch (RetryRunException e) {
                    lostAgain(e, 1, "run", run);
                    result = runOne(settings, ex, streams[slot], run, null, 0, 2);
                } catch (RuntimeException | StackOverflowError e) {
                    throw wrap(e, "run", run, settings.seed());
                }
            } else {
                result = runOne(settings, ex, streams[slot], run, null, 0);
            }
            ex.record(chunk, run, result, work.weighted() ? ex.logImportanceWeight() : 0);
        }
        for (ProposalExecution ex : executions) {
            count(ex, counts);
        }
    }

    /**
     * Runs [start, end) in groups of {@code size} consecutive runs, the runs of a group at once
     * ({@link Backend#together}, on the backend's threads), so that the proposal can batch their
     * requests ({@link RunGroup}). Groups never depend on the backend, and runs are recorded in run
     * order. Member m of every group runs on the m-th execution: which thread runs it never matters.
     */
    private static void grouped(Settings settings, Work work, CallSites callSites, PosteriorBuilder.Chunk chunk,
            Set<String> observed, int size, int start, int end, long[] counts) {
        // Each member's own set of the observations it met: its runs add to it while others run.
        ProposalExecution[] executions = new ProposalExecution[Math.min(size, end - start)];
        List<Set<String>> observedSets = new ArrayList<>();
        for (int m = 0; m < executions.length; m++) {
            observedSets.add(new HashSet<>());
            executions[m] = new ProposalExecution(settings.observations(), work.conditioning(), callSites, observedSets.get(m),
                    work.proposal()).allowSelfDraw();
        }
        Trace[] traces = new Trace[end - start];
        for (int g0 = start; g0 < end; g0 += size) {
            int first = g0;
            RunGroup group = new RunGroup(Math.min(end, g0 + size) - g0);
            settings.backend().together(group.size(), member -> {
                int run = first + member;
                ProposalExecution ex = executions[member];
                try {
                    Object result = runOne(settings, ex, Seeds.stream(settings.seed(), run), run, group, member);
                    traces[run - start] = ex.finish(result, work.weighted() ? ex.logImportanceWeight() : 0);
                } finally {
                    group.leave(member);
                }
            });
        }
        for (int i = 0; i < traces.length; i++) {
            chunk.record(start + i, traces[i]);
        }
        for (int m = 0; m < executions.length; m++) {
            count(executions[m], counts);
            observed.addAll(observedSets.get(m));
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
                lostAgain(e, tries, lost, index);
                reset.run();
            } catch (RuntimeException | StackOverflowError e) {
                throw wrap(e, stream, index, seed);
            }
        }
    }

    /** After {@code tries} attempts lost by the model source: the error once they are {@link #MAX_ATTEMPTS}. */
    private static void lostAgain(RetryRunException e, int tries, String lost, long index) {
        if (tries >= MAX_ATTEMPTS) {
            throw new SimulatorException(lost + " " + index + " was lost " + MAX_ATTEMPTS + " times; the last time: "
                    + e.getMessage());
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
