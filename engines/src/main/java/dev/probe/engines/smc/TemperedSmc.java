package dev.probe.engines.smc;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.LogSum;
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
import dev.probe.runtime.trace.Variable;

/**
 * Tempered Sequential Monte Carlo (an SMC sampler, Del Moral, Doucet and Jasra 2006) for sharp
 * observations: whole runs are proposed (by the prior, or a trained network's proposal q) and
 * carried from q to the posterior through the targets
 *
 * <pre>  pi_b(x) = p(x) L(x)^b q(x)^(1 - b) / Z_b,   b from 0 to 1</pre>
 *
 * (with the prior as q, the likelihood tempered: p(x) L(x)^b). At b = 0 the particles are exact
 * draws of the target, all of weight one; a step from b to b' multiplies each weight by
 * w(x)^(b' - b), w = p(x, y) / q(x) the run's importance weight. The next temperature is the one
 * at which the conditional ESS of those increments is a fixed fraction of the particles (Zhou,
 * Johansen and Aston 2016), found by bisection. When the ESS falls under a threshold the particles
 * are resampled (systematic), and at each temperature every particle takes rounds of
 * Metropolis-Hastings moves that leave pi_b invariant: an independence move from q (accepted with
 * (w(x') / w(x))^b), a block random walk on the real choices all particles make, scaled by their
 * covariance ({@link PopulationWalk}), and a single-site move (a Gaussian random walk on a real
 * choice, or a draw from the prior) from the runtime's kernel with the tempered target. Rounds go
 * on, between {@link Options#rejuvenate} and {@link Options#maxRounds}, until the particles have
 * moved {@link Options#jump} population standard deviations per walked site (squared, on
 * average). The sum over steps of the log of the weighted mean increment estimates log Z without
 * bias in Z.
 *
 * <p>Particle i draws its first run from generator (seed, i) and round r of its moves at step t
 * from (seed, (t MAX_ROUNDS + r) N + i); resampling at step t draws from (seed, -1 - t). The work of
 * each round is cut into tasks of {@link SequentialMonteCarlo#PARTICLES_PER_TASK} particles run by
 * the backend, and the driver sums what they report in particle order, so the result (the number
 * of rounds included) depends on the seed alone.
 */
public final class TemperedSmc implements Engine {

    /** Temperatures after which the engine gives up: a schedule this long means a target it cannot reach. */
    static final int MAX_TEMPERATURES = 10_000;

    /** The most rounds of moves one temperature may take (streams are numbered by step, round and particle). */
    static final int MAX_ROUNDS = 1_000;

    /**
     * Tempered SMC's options.
     *
     * @param proposal     where whole runs come from (the first particles and the independence moves):
     *                     the prior, or a trained network's
     * @param cess         the next temperature keeps this fraction of the particles as conditional ESS (0..1)
     * @param essThreshold resample when the ESS falls under this fraction of the particles (0..1]
     * @param rejuvenate   the least rounds of moves (one independence, one block walk, one single-site) per
     *                     particle at each temperature
     * @param maxRounds    the most rounds per temperature ({@code >= rejuvenate})
     * @param jump         rounds go on (from {@code rejuvenate} to {@code maxRounds}) until the particles'
     *                     mean squared jump, summed over the rounds and measured in the population's
     *                     standard deviations (Mahalanobis), reaches {@code jump} per walked site; 0: always
     *                     {@code rejuvenate} rounds
     */
    public record Options(Proposal proposal, double cess, double essThreshold, int rejuvenate, int maxRounds, double jump)
            implements EngineOptions {
        /**
         * Proposals from the prior, conditional ESS one half, resampling below half, from 2 to 12
         * rounds of moves until the particles have moved 1 population SD per site (squared, on average);
         * docs/benchmarks.md ("Calibrated tempered SMC on the calorimeter") gives the measurements.
         */
        public static final Options DEFAULT = new Options(Proposal.PRIOR, 0.5, 0.5, 2, 12, 1.0);

        /** A fixed number of rounds: {@code rejuvenate} at every temperature. */
        public Options(Proposal proposal, double cess, double essThreshold, int rejuvenate) {
            this(proposal, cess, essThreshold, rejuvenate, rejuvenate, 0);
        }

        public Options {
            if (!(cess > 0 && cess < 1)) {
                throw new IllegalArgumentException("the conditional ESS target must be above 0 and under 1, got " + cess);
            }
            if (!(essThreshold > 0 && essThreshold <= 1)) {
                throw new IllegalArgumentException("the ESS threshold must be above 0 and at most 1, got " + essThreshold);
            }
            if (rejuvenate < 0) {
                throw new IllegalArgumentException("rejuvenation rounds must not be negative, got " + rejuvenate);
            }
            if (maxRounds < rejuvenate || maxRounds > MAX_ROUNDS) {
                throw new IllegalArgumentException("the most rounds per temperature must be from --rejuvenate (" + rejuvenate
                        + ") to " + MAX_ROUNDS + ", got " + maxRounds);
            }
            if (!(jump >= 0) || Double.isInfinite(jump)) {
                throw new IllegalArgumentException("the jump target must be a finite number, 0 or more, got " + jump);
            }
        }

        @Override
        public String describe() {
            return "proposal=" + proposal.describe() + ", cess=" + cess + ", ess_threshold=" + essThreshold + ", rejuvenate="
                    + rejuvenate + ", max_rounds=" + maxRounds + ", jump=" + jump;
        }
    }

    /**
     * What the particles did.
     *
     * @param temperatures           tempering steps from 0 to 1
     * @param resamplings            steps after which the particles were resampled
     * @param rounds                 rounds of moves over all temperatures
     * @param independenceMoves      independence moves tried (from the proposal)
     * @param independenceAcceptance the fraction of them accepted (NaN when none)
     * @param walkMoves              block random-walk moves tried (all real sites common to the particles at once;
     *                               none at a temperature where there is no such site)
     * @param walkAcceptance         the fraction of them accepted (NaN when none)
     * @param localMoves             single-site moves tried (random walk or prior draw)
     * @param localAcceptance        the fraction of them accepted (NaN when none)
     * @param minimumEss             the smallest ESS met after a reweighting
     * @param proposalEss             the ESS of the proposal's importance weights (the particles' ESS as
     *                               {@code is} with that proposal would have it)
     * @param proposed               choices drawn from a proposal other than the prior
     * @param fallbacks              controlled choices the proposal had nothing for (drawn from the prior)
     */
    public record Report(int temperatures, int resamplings, long rounds, long independenceMoves, double independenceAcceptance,
            long walkMoves, double walkAcceptance, long localMoves, double localAcceptance, double minimumEss,
            double proposalEss, long proposed, long fallbacks) implements Diagnostics {
        @Override
        public List<Figure> figures() {
            List<Figure> out = new ArrayList<>(List.of(Figure.count("temperatures", "temperatures", temperatures),
                    Figure.count("resamplings", "resamplings", resamplings),
                    Figure.real("minimum_ess", "least ESS", minimumEss),
                    Figure.real("proposal_ess", "ESS of the proposal's weights", proposalEss)));
            if (independenceMoves > 0) {
                out.add(Figure.count("rounds", "rounds of moves", rounds));
                out.add(Figure.count("independence_moves", "independence moves", independenceMoves));
                out.add(Figure.real("independence_acceptance", "independence acceptance", independenceAcceptance));
                if (walkMoves > 0) {
                    out.add(Figure.count("walk_moves", "block-walk moves", walkMoves));
                    out.add(Figure.real("walk_acceptance", "block-walk acceptance", walkAcceptance));
                }
                out.add(Figure.count("local_moves", "single-site moves", localMoves));
                out.add(Figure.real("local_acceptance", "single-site acceptance", localAcceptance));
            }
            if (proposed + fallbacks > 0) {
                out.add(Figure.count("proposed", "proposed", proposed));
                out.add(Figure.count("fallbacks", "fallbacks to the prior", fallbacks));
            }
            return out;
        }
    }

    private final Options options;

    public TemperedSmc(Options options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "smc-tempered";
    }

    @Override
    public Options options() {
        return options;
    }

    /**
     * One task's particles: their traces and bridge corrections (log p - log q), the moves accepted,
     * and what the proposal did.
     */
    private record Particles(Trace[] traces, double[] corrections, long independent, long walked, long local,
            double jump, TreeSet<String> observed, long proposed, long fallbacks) implements Serializable {
    }

    @Override
    public Posterior run(Settings settings) {
        int n = settings.traces();
        int size = SequentialMonteCarlo.PARTICLES_PER_TASK;
        int tasks = (n + size - 1) / size;
        Trace[] particles = new Trace[n];
        double[] corrections = new double[n];
        TreeSet<String> observed = new TreeSet<>();
        long proposed = 0;
        long fallbacks = 0;
        List<Particles> first = settings.backend().map(tasks, k -> advance(settings, null, null, 0, null, 0, 0, k, n));
        for (int k = 0; k < tasks; k++) {
            Particles p = first.get(k);
            System.arraycopy(p.traces(), 0, particles, k * size, p.traces().length);
            System.arraycopy(p.corrections(), 0, corrections, k * size, p.corrections().length);
            observed.addAll(p.observed());
            proposed += p.proposed();
            fallbacks += p.fallbacks();
        }
        ImportanceSampling.checkObservedNames(settings.observations(), observed);
        double proposalEss = SequentialMonteCarlo.ess(importanceWeights(particles, corrections));
        if (!(proposalEss > 0)) {
            throw new ModelException("every particle has zero weight: the observations are impossible under the model as"
                    + " proposed (check their values, or use more particles)");
        }
        double[] logW = new double[n];
        double temperature = 0;
        double logZ = 0;
        int step = 0;
        int resamplings = 0;
        long independent = 0;
        long walked = 0;
        long walkTried = 0;
        long local = 0;
        long rounds = 0;
        double minimumEss = n;
        while (temperature < 1) {
            step++;
            if (step > MAX_TEMPERATURES) {
                throw new ModelException("tempered SMC took " + MAX_TEMPERATURES + " temperatures and reached only "
                        + temperature + ": the posterior is too far from the proposal for " + n + " particles (use more"
                        + " particles, more --rejuvenate rounds, or a trained --network)");
            }
            double[] w = importanceWeights(particles, corrections);
            double next = nextTemperature(logW, w, temperature, options.cess());
            double delta = next - temperature;
            double[] increments = new double[n];
            for (int i = 0; i < n; i++) {
                increments[i] = w[i] == Double.NEGATIVE_INFINITY ? w[i] : delta * w[i];
            }
            logZ += logWeightedMean(logW, increments);
            for (int i = 0; i < n; i++) {
                logW[i] += increments[i];
            }
            temperature = next;
            double ess = SequentialMonteCarlo.ess(logW);
            if (!(ess > 0)) {
                throw new ModelException("every particle has zero weight at temperature " + temperature + ": the"
                        + " observations are impossible under the model as proposed (check their values, or use more"
                        + " particles)");
            }
            minimumEss = Math.min(minimumEss, ess);
            // The block walk's scale, from the weighted particles before resampling (which loses their spread).
            PopulationWalk walk = options.maxRounds() > 0 ? PopulationWalk.of(particles, logW) : null;
            if (ess < options.essThreshold() * n) {
                int[] ancestors = SequentialMonteCarlo.systematic(logW, Seeds.generator(settings.seed(), -1L - step));
                Trace[] parents = particles.clone();
                double[] parentCorrections = corrections.clone();
                for (int i = 0; i < n; i++) {
                    particles[i] = parents[ancestors[i]];
                    corrections[i] = parentCorrections[ancestors[i]];
                    logW[i] = 0;
                }
                resamplings++;
            }
            double moved = 0;
            double wanted = walk == null ? 0 : options.jump() * walk.dimension();
            for (int r = 0; r < options.maxRounds() && (r < options.rejuvenate() || moved < wanted); r++) {
                Trace[] from = particles.clone();
                double[] fromCorrections = corrections.clone();
                int t = step;
                int round = r;
                double b = temperature;
                List<Particles> after = settings.backend().map(tasks,
                        k -> advance(settings, from, fromCorrections, b, walk, t, round, k, n));
                double jumps = 0;
                for (int k = 0; k < tasks; k++) {
                    Particles p = after.get(k);
                    System.arraycopy(p.traces(), 0, particles, k * size, p.traces().length);
                    System.arraycopy(p.corrections(), 0, corrections, k * size, p.corrections().length);
                    independent += p.independent();
                    walked += p.walked();
                    local += p.local();
                    jumps += p.jump();
                    proposed += p.proposed();
                    fallbacks += p.fallbacks();
                }
                moved += jumps / n;
                rounds++;
                walkTried += walk == null ? 0 : n;
            }
        }
        PosteriorBuilder builder = new PosteriorBuilder(n, settings.recordAddresses(), settings.keepTraces(),
                settings.observations().names());
        PosteriorBuilder.Chunk chunk = builder.chunk(0, n);
        for (int i = 0; i < n; i++) {
            Trace p = particles[i];
            chunk.record(i, new Trace(p.variables().toArray(new Variable[0]), p.logPrior(), p.logLikelihood(), logW[i],
                    p.result()));
        }
        builder.add(chunk);
        long tried = n * rounds;
        Report report = new Report(step, resamplings, rounds, tried, rate(independent, tried), walkTried, rate(walked, walkTried),
                tried, rate(local, tried), minimumEss, proposalEss, proposed, fallbacks);
        return builder.build(logZ, null, settings.provenance(this), report);
    }

    private static double rate(long accepted, long tried) {
        return tried == 0 ? Double.NaN : accepted / (double) tried;
    }

    /**
     * Task k's particles at the start ({@code from} null: whole runs drawn from the proposal),
     * else {@code from}'s after round {@code round} of moves at step t, each leaving pi_b
     * invariant: an independence move from the proposal, a block random walk ({@code walk}, when
     * there is one) and a single-site move. Particle i draws round r's numbers from stream
     * (t MAX_ROUNDS + r) N + i.
     */
    private Particles advance(Settings settings, Trace[] from, double[] fromCorrections, double temperature,
            PopulationWalk walk, int t, int round, int k, int n) {
        int start = k * SequentialMonteCarlo.PARTICLES_PER_TASK;
        int end = Math.min(n, start + SequentialMonteCarlo.PARTICLES_PER_TASK);
        Runner runner = Runner.conditioning(settings);
        Policy policy = Policy.proposing(options.proposal());
        Trace[] traces = new Trace[end - start];
        double[] corrections = new double[end - start];
        if (from == null) {
            for (int i = start; i < end; i++) {
                Run run = runner.run(policy, Seeds.generator(settings.seed(), i), i);
                traces[i - start] = run.trace();
                corrections[i - start] = run.logCorrection();
            }
            return new Particles(traces, corrections, 0, 0, 0, 0, new TreeSet<>(runner.observedNames()), runner.proposed(),
                    runner.fallbacks());
        }
        long independent = 0;
        long walked = 0;
        long local = 0;
        double jump = 0;
        for (int i = start; i < end; i++) {
            UniformRandomProvider rng = Seeds.generator(settings.seed(), ((long) t * MAX_ROUNDS + round) * n + i);
            Trace x = from[i];
            double c = fromCorrections[i];
            // Independence move from q: pi_b(x') q(x) / (pi_b(x) q(x')) = (w(x') / w(x))^b.
            Run run = runner.run(policy, rng, i);
            double logAlpha = temperature * (run.logWeight() - (x.logLikelihood() + c));
            if (logAlpha >= 0 || Math.log(rng.nextDouble()) < logAlpha) {
                x = run.trace();
                c = run.logCorrection();
                independent++;
            }
            if (walk != null) {
                Runner.TemperedMove m = runner.walk(x, c, options.proposal(), temperature, walk.walk(), rng, i);
                x = m.trace();
                c = m.correction();
                if (m.accepted()) {
                    walked++;
                }
            }
            Runner.TemperedMove m = runner.move(x, c, options.proposal(), temperature, rng, i);
            x = m.trace();
            c = m.correction();
            if (m.accepted()) {
                local++;
            }
            if (walk != null) {
                jump += walk.squaredJump(from[i], x);
            }
            traces[i - start] = x;
            corrections[i - start] = c;
        }
        return new Particles(traces, corrections, independent, walked, local, jump, new TreeSet<>(), runner.proposed(),
                runner.fallbacks());
    }

    /** Each particle's log importance weight under the proposal: log L(x) + log p(x) - log q(x). */
    private static double[] importanceWeights(Trace[] particles, double[] corrections) {
        double[] w = new double[particles.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = particles[i].logLikelihood() + corrections[i];
            if (Double.isNaN(w[i])) {
                w[i] = Double.NEGATIVE_INFINITY;
            }
        }
        return w;
    }

    /**
     * The temperature after {@code from} at which the conditional ESS of the increments
     * w^(b' - b), given the current weights, is the fraction {@code target} of the particles
     * (Zhou, Johansen and Aston 2016), by bisection; 1 when even that step keeps more.
     */
    static double nextTemperature(double[] logW, double[] w, double from, double target) {
        double span = 1 - from;
        if (conditionalEss(logW, w, span) >= target) {
            return 1;
        }
        double lo = 0;
        double hi = span;
        for (int i = 0; i < 60; i++) {
            double mid = 0.5 * (lo + hi);
            if (conditionalEss(logW, w, mid) >= target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        // At least some step, so that the schedule always moves on.
        double step = lo > 0 ? lo : hi;
        return Math.min(1, from + step);
    }

    /**
     * The conditional ESS of the increments exp(delta w_i) as a fraction of the particles:
     * (sum W_i u_i)^2 / sum W_i u_i^2, W the normalised current weights.
     */
    static double conditionalEss(double[] logW, double[] w, double delta) {
        int n = logW.length;
        double max = Double.NEGATIVE_INFINITY;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = w[i] == Double.NEGATIVE_INFINITY ? Double.NEGATIVE_INFINITY : logW[i] + delta * w[i];
            max = Math.max(max, a[i]);
        }
        double wMax = Double.NEGATIVE_INFINITY;
        for (double x : logW) {
            wMax = Math.max(wMax, x);
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return 0;
        }
        // sum W u = sum exp(logW + d w) / sum exp(logW); sum W u^2 = sum exp(logW + 2 d w) / sum exp(logW)
        double s1 = 0;
        double s2 = 0;
        double s0 = 0;
        for (int i = 0; i < n; i++) {
            s0 += Math.exp(logW[i] - wMax);
            if (a[i] == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double u = Math.exp(a[i] - max);
            s1 += u;
            // exp(logW + 2 d w - 2 max + logW... ): W u^2 = exp(2 a - logW) with a = logW + d w
            s2 += Math.exp(2 * (a[i] - max) - (logW[i] - wMax));
        }
        // (s1 e^max / (s0 e^wMax))^2 / (s2 e^(2 max - wMax) / (s0 e^wMax)) = s1^2 / (s0 s2)
        return s1 * s1 / (s0 * s2);
    }

    /** log of sum_i W_i exp(increments_i), W the normalised exp(logW). */
    static double logWeightedMean(double[] logW, double[] increments) {
        double[] a = new double[logW.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = logW[i] + increments[i];
        }
        return LogSum.of(a) - LogSum.of(logW);
    }
}
