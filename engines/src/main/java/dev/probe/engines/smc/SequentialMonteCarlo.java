package dev.probe.engines.smc;

import java.io.Serializable;
import java.util.List;
import java.util.TreeSet;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineOptions;
import dev.probe.runtime.engine.Policy;
import dev.probe.runtime.engine.Run;
import dev.probe.runtime.engine.Runner;
import dev.probe.runtime.engine.Settings;
import dev.probe.runtime.inference.ImportanceSampling;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.Diagnostics;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.PosteriorBuilder;
import dev.probe.runtime.trace.Trace;

/**
 * Sequential Monte Carlo (a particle filter over the program's observations), built on the
 * runtime's public engine interface alone. Particles advance together from one observation to
 * the next; each step weights a particle by the likelihood of the observation it reached times
 * p/q of the choices it made on the way. When the effective sample size falls under a threshold
 * the particles are resampled (systematic resampling) and, optionally, rejuvenated by
 * single-site Metropolis-Hastings moves that target the posterior given the observations so far.
 * The product of the steps' mean weights estimates the evidence without bias.
 *
 * <p>A model is arbitrary code (Java, a script, a simulator process), so a particle cannot be
 * copied in the middle of a run. Each step continues a particle by <em>replaying</em> its recorded
 * choices up to its last observation and running on to the next: step t costs O(t), a whole
 * inference O(T^2) model steps for T observations (and O(T^2) network steps with a trained
 * proposal, which is told of every replayed choice). Suspended runs (a thread or a process per
 * particle, forked at resampling) would make each step O(1) but cannot copy a Java call stack or an
 * external simulator; docs/engines.md weighs the two.
 *
 * <p>A particle whose run ends before the others' waits, its weight unchanged, until all have
 * ended. Particle i at step t draws from generator (seed, t N + i) and resampling at step t from
 * (seed, -1 - t), so the result depends on the seed alone, never on the backend.
 */
public final class SequentialMonteCarlo implements Engine {

    /**
     * SMC's options.
     *
     * @param proposal     where new controlled choices come from: the prior, or a trained network's
     * @param essThreshold resample when the ESS falls under this fraction of the particles (0..1]
     * @param rejuvenate   Metropolis-Hastings moves per particle after each resampling (0: none)
     */
    public record Options(Proposal proposal, double essThreshold, int rejuvenate) implements EngineOptions {
        /** Resampling below half the particles, no rejuvenation, proposals from the prior. */
        public static final Options DEFAULT = new Options(Proposal.PRIOR, 0.5, 0);

        public Options {
            if (!(essThreshold > 0 && essThreshold <= 1)) {
                throw new IllegalArgumentException("the ESS threshold must be above 0 and at most 1, got " + essThreshold);
            }
            if (rejuvenate < 0) {
                throw new IllegalArgumentException("rejuvenation moves must not be negative, got " + rejuvenate);
            }
        }

        @Override
        public String describe() {
            return "proposal=" + proposal.describe() + ", ess_threshold=" + essThreshold + ", rejuvenate=" + rejuvenate;
        }
    }

    /**
     * What the particles did.
     *
     * @param steps       observation steps taken
     * @param resamplings steps after which the particles were resampled
     * @param moves       Metropolis-Hastings rejuvenation moves tried
     * @param acceptance  the fraction of them accepted (NaN when none were tried)
     * @param minimumEss  the smallest ESS met before a resampling or at the end
     * @param proposed    choices drawn from a proposal other than the prior
     * @param fallbacks   controlled choices the proposal had nothing for (drawn from the prior)
     */
    public record Report(int steps, int resamplings, long moves, double acceptance, double minimumEss, long proposed,
            long fallbacks) implements Diagnostics {
        @Override
        public List<Figure> figures() {
            List<Figure> out = new java.util.ArrayList<>(List.of(Figure.count("steps", "steps", steps),
                    Figure.count("resamplings", "resamplings", resamplings), Figure.real("minimum_ess", "least ESS", minimumEss)));
            if (moves > 0) {
                out.add(Figure.count("moves", "rejuvenation moves", moves));
                out.add(Figure.real("acceptance", "acceptance", acceptance));
            }
            if (proposed + fallbacks > 0) {
                out.add(Figure.count("proposed", "proposed", proposed));
                out.add(Figure.count("fallbacks", "fallbacks to the prior", fallbacks));
            }
            return out;
        }
    }

    private final Options options;

    public SequentialMonteCarlo(Options options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "smc";
    }

    @Override
    public Options options() {
        return options;
    }

    /** Particles per task of the backend: enough to amortise a task, never a change to the result. */
    static final int PARTICLES_PER_TASK = 64;

    /** One task's particles after a step: their traces, weight increments, whether ended, and moves accepted. */
    private record Advanced(Trace[] traces, double[] increments, boolean[] finished, long accepted,
            TreeSet<String> observed, long proposed, long fallbacks) implements Serializable {
    }

    @Override
    public Posterior run(Settings settings) {
        int n = settings.traces();
        Trace[] particles = new Trace[n];
        boolean[] finished = new boolean[n];
        double[] logW = new double[n];
        double logZ = 0;
        int resamplings = 0;
        long moves = 0;
        long accepted = 0;
        long proposed = 0;
        long fallbacks = 0;
        double minimumEss = n;
        TreeSet<String> observed = new TreeSet<>();
        int tasks = (n + PARTICLES_PER_TASK - 1) / PARTICLES_PER_TASK;
        int step = 0;
        while (!allTrue(finished)) {
            step++;
            int t = step;
            Trace[] from = particles.clone();
            boolean[] ended = finished.clone();
            List<Advanced> results = settings.backend().map(tasks, k -> advance(settings, from, ended, t, k));
            for (int k = 0; k < tasks; k++) {
                Advanced a = results.get(k);
                int start = k * PARTICLES_PER_TASK;
                for (int j = 0; j < a.traces().length; j++) {
                    particles[start + j] = a.traces()[j];
                    logW[start + j] += a.increments()[j];
                    finished[start + j] = a.finished()[j];
                }
                observed.addAll(a.observed());
                proposed += a.proposed();
                fallbacks += a.fallbacks();
            }
            double ess = ess(logW);
            if (!(ess > 0)) {
                throw new ModelException("every particle has zero weight after observation " + t + ": the observations are"
                        + " impossible under the model as proposed (check their values, or use more particles)");
            }
            if (allTrue(finished)) {
                minimumEss = Math.min(minimumEss, ess);
                break;
            }
            if (ess < options.essThreshold() * n) {
                minimumEss = Math.min(minimumEss, ess);
                logZ += logMeanExp(logW);
                int[] ancestors = systematic(logW, Seeds.generator(settings.seed(), -1L - t));
                Trace[] parents = particles.clone();
                boolean[] parentEnded = finished.clone();
                for (int i = 0; i < n; i++) {
                    particles[i] = parents[ancestors[i]];
                    finished[i] = parentEnded[ancestors[i]];
                    logW[i] = 0;
                }
                resamplings++;
                if (options.rejuvenate() > 0) {
                    Trace[] before = particles.clone();
                    List<Advanced> moved = settings.backend().map(tasks, k -> rejuvenate(settings, before, t, k));
                    for (int k = 0; k < tasks; k++) {
                        Advanced a = moved.get(k);
                        System.arraycopy(a.traces(), 0, particles, k * PARTICLES_PER_TASK, a.traces().length);
                        accepted += a.accepted();
                    }
                    moves += (long) n * options.rejuvenate();
                    // A move may change where a run ends: the next step finds out again for each particle.
                    java.util.Arrays.fill(finished, false);
                }
            }
        }
        ImportanceSampling.checkObservedNames(settings.observations(), observed);
        logZ += logMeanExp(logW);
        PosteriorBuilder builder = new PosteriorBuilder(n, settings.recordAddresses(), settings.keepTraces(),
                settings.observations().names());
        PosteriorBuilder.Chunk chunk = builder.chunk(0, n);
        for (int i = 0; i < n; i++) {
            Trace p = particles[i];
            chunk.record(i, new Trace(p.variables().toArray(new dev.probe.runtime.trace.Variable[0]), p.logPrior(),
                    p.logLikelihood(), logW[i], p.result()));
        }
        builder.add(chunk);
        Report report = new Report(step, resamplings, moves, moves == 0 ? Double.NaN : accepted / (double) moves,
                minimumEss, proposed, fallbacks);
        return builder.build(logZ, null, settings.provenance(this), report);
    }

    /** Task k of step t: its particles run on to observation t (those that have ended wait). */
    private Advanced advance(Settings settings, Trace[] from, boolean[] ended, int t, int k) {
        int n = from.length;
        int start = k * PARTICLES_PER_TASK;
        int end = Math.min(n, start + PARTICLES_PER_TASK);
        Runner runner = Runner.conditioning(settings);
        Trace[] traces = new Trace[end - start];
        double[] increments = new double[end - start];
        boolean[] finished = new boolean[end - start];
        Policy policy = Policy.proposing(options.proposal()).stoppingAfter(t);
        for (int i = start; i < end; i++) {
            if (ended[i]) {
                traces[i - start] = from[i];
                finished[i - start] = true;
                continue;
            }
            Trace prefix = from[i];
            UniformRandomProvider rng = Seeds.generator(settings.seed(), (long) t * n + i);
            Run run = runner.run(prefix == null ? policy : policy.replaying(prefix), rng, i);
            double before = prefix == null ? 0 : prefix.logLikelihood();
            traces[i - start] = run.trace();
            double after = run.trace().logLikelihood();
            // A run at zero likelihood stays there; -inf minus a prefix's -inf would be NaN.
            increments[i - start] = after == Double.NEGATIVE_INFINITY ? after : after - before + run.logCorrection();
            finished[i - start] = run.finished();
        }
        return new Advanced(traces, increments, finished, 0, new TreeSet<>(runner.observedNames()), runner.proposed(),
                runner.fallbacks());
    }

    /** Task k's particles after {@link Options#rejuvenate} moves that target the posterior given t observations. */
    private Advanced rejuvenate(Settings settings, Trace[] particles, int t, int k) {
        int n = particles.length;
        int start = k * PARTICLES_PER_TASK;
        int end = Math.min(n, start + PARTICLES_PER_TASK);
        Runner runner = Runner.conditioning(settings);
        Trace[] traces = new Trace[end - start];
        long accepted = 0;
        for (int i = start; i < end; i++) {
            // Streams of moves are negative and far below those of resampling (-1 - t): they never meet.
            UniformRandomProvider rng = Seeds.generator(settings.seed(), -((long) t * n + i) - (1L << 40));
            Trace current = particles[i];
            for (int m = 0; m < options.rejuvenate(); m++) {
                Runner.Move move = runner.move(current, rng, t, i);
                current = move.trace();
                if (move.accepted()) {
                    accepted++;
                }
            }
            traces[i - start] = current;
        }
        return new Advanced(traces, new double[0], new boolean[0], accepted, new TreeSet<>(), 0, 0);
    }

    private static boolean allTrue(boolean[] b) {
        for (boolean x : b) {
            if (!x) {
                return false;
            }
        }
        return true;
    }

    /** Kish's effective sample size of the weights exp(logW). */
    static double ess(double[] logW) {
        double max = max(logW);
        if (max == Double.NEGATIVE_INFINITY) {
            return 0;
        }
        double s = 0;
        double s2 = 0;
        for (double lw : logW) {
            double w = Math.exp(lw - max);
            s += w;
            s2 += w * w;
        }
        return s * s / s2;
    }

    /** log of the mean of exp(logW). */
    static double logMeanExp(double[] logW) {
        double max = max(logW);
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double s = 0;
        for (double lw : logW) {
            s += Math.exp(lw - max);
        }
        return max + Math.log(s / logW.length);
    }

    private static double max(double[] x) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** Systematic resampling: n ancestors drawn in proportion to exp(logW) with one uniform number. */
    static int[] systematic(double[] logW, UniformRandomProvider rng) {
        int n = logW.length;
        double max = max(logW);
        double total = 0;
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = Math.exp(logW[i] - max);
            total += w[i];
        }
        int[] out = new int[n];
        double u = rng.nextDouble();
        double cum = w[0] / total;
        int i = 0;
        for (int j = 0; j < n; j++) {
            double target = (u + j) / n;
            while (cum < target && i < n - 1) {
                i++;
                cum += w[i] / total;
            }
            out[j] = i;
        }
        return out;
    }
}
