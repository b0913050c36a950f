package dev.probe.runtime.engine;

import java.util.Set;

import org.apache.commons.rng.RandomProviderState;
import org.apache.commons.rng.RestorableUniformRandomProvider;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.ValueType;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.RunAbandoned;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * The lightweight single-site Metropolis-Hastings kernel (Wingate, Stuhlmüller and Goodman 2011)
 * that {@link Runner#move} applies: pick one controlled choice of the current trace uniformly,
 * propose a new value for it (a Gaussian random walk for a real, with probability one half, else
 * a draw from its prior), re-run the model reusing every other choice, and accept by the ratio
 * that accounts for choices drawn afresh and dropped. One step in fifty proposes a whole new
 * trace from the prior instead. docs/engines.md gives the ratio.
 *
 * <p>Tempered: the target may be p(x) L(x)^b q(x)^(1 - b) for a temperature b in [0, 1] and a
 * bridge proposal q (the prior by default, when it is p(x) L(x)^b): the kernel is the same, only
 * the target's two densities in the ratio change (tempered SMC's moves).
 */
final class SingleSiteMoves {

    private static final double[] WALK_SCALES = {1, 0.1, 0.01};
    /**
     * The probability of a step that proposes a whole trace from the prior. Chosen independently
     * of the state, it keeps the chain exact for traces with no controlled choice and lets it leave
     * modes that single-site moves cannot.
     */
    static final double GLOBAL_MOVE = 0.02;

    private final Settings settings;
    private final ReplayExecution ex;
    /** The index of the last state moved from: most steps start where the last one ended. */
    private ReplayExecution.Sites current;

    SingleSiteMoves(Settings settings, CallSites callSites, Set<String> observedNames) {
        this(settings, callSites, observedNames, dev.probe.runtime.inference.Proposal.PRIOR);
    }

    /** Moves whose tempered targets bridge from {@code bridge}'s proposal to the posterior. */
    SingleSiteMoves(Settings settings, CallSites callSites, Set<String> observedNames,
            dev.probe.runtime.inference.Proposal bridge) {
        this.settings = settings;
        this.ex = new ReplayExecution(settings.observations(), callSites, observedNames, bridge);
    }

    /** A run from the prior up to {@code limit} observations, loops kept whole; null at zero probability. */
    Trace fresh(UniformRandomProvider rng, int limit, long stream) {
        RandomProviderState before = save(rng);
        Trace t = IndependentRuns.retrying(() -> {
            ex.beginFresh(rng);
            return runTo(limit);
        }, () -> Runner.restore(rng, before), "the first run of chain", "chain", stream, settings.seed());
        return ex.logJoint() > Double.NEGATIVE_INFINITY ? t : null;
    }

    /** One step from {@code state}, targeting the posterior given {@code limit} observations. */
    Runner.Move step(Trace state, UniformRandomProvider rng, int limit, long stream) {
        Runner.TemperedMove m = step(state, 0, 1, rng, limit, stream);
        return new Runner.Move(m.trace(), m.accepted());
    }

    /**
     * One step from {@code state}, whose bridge correction is {@code correction}, targeting
     * p(x) L(x)^temperature q(x)^(1 - temperature).
     */
    Runner.TemperedMove step(Trace state, double correction, double temperature, UniformRandomProvider rng, int limit,
            long stream) {
        if (current == null || current.trace != state) {
            current = new ReplayExecution.Sites(state, correction);
        }
        // A step lost by its model source (a dead simulator) is taken again from the same state.
        RandomProviderState before = save(rng);
        ReplayExecution.Sites from = current;
        Step proposal = IndependentRuns.retrying(() -> propose(rng, from, limit, temperature),
                () -> Runner.restore(rng, before), "a step of chain", "chain", stream, settings.seed());
        double logAlpha = proposal.logAlpha;
        if (logAlpha >= 0 || (logAlpha > Double.NEGATIVE_INFINITY && Math.log(rng.nextDouble()) < logAlpha)) {
            current = new ReplayExecution.Sites(proposal.trace, proposal.correction);
            return new Runner.TemperedMove(proposal.trace, proposal.correction, true);
        }
        return new Runner.TemperedMove(state, from.correction, false);
    }

    /**
     * One block random-walk step from {@code state} (bridge correction {@code correction}) targeting
     * p(x) L(x)^temperature q(x)^(1 - temperature): every site of {@code walk} moves at once by
     * {@code walk}'s factor times a standard normal vector. The walk is the same from every state, so
     * it is symmetric: the ratio is the targets' (with the choices drawn afresh and dropped, as for a
     * single-site move). A state or proposal that lacks one of the walk's sites has no walk back:
     * the step is rejected.
     */
    Runner.TemperedMove walk(Trace state, double correction, double temperature, Runner.Walk walk, UniformRandomProvider rng,
            long stream) {
        if (current == null || current.trace != state) {
            current = new ReplayExecution.Sites(state, correction);
        }
        ReplayExecution.Sites from = current;
        int d = walk.addresses().length;
        double[] z = new double[d];
        ZigguratSampler.NormalizedGaussian normal = ZigguratSampler.NormalizedGaussian.of(rng);
        for (int j = 0; j < d; j++) {
            z[j] = normal.sample();
        }
        Object[] values = new Object[d];
        boolean inSupport = true;
        for (int j = 0; j < d; j++) {
            Variable site = from.at(walk.addresses()[j], walk.instances()[j]);
            if (site == null || site.distribution().valueType() != ValueType.REAL) {
                return new Runner.TemperedMove(state, from.correction, false);
            }
            double step = 0;
            double[] row = walk.factor()[j];
            for (int k = 0; k <= j; k++) {
                step += row[k] * z[k];
            }
            double v = (Double) site.value() + step;
            values[j] = v;
            inSupport &= site.distribution().logProbOf(v) > Double.NEGATIVE_INFINITY;
        }
        double u = rng.nextDouble();
        if (!inSupport) {
            // Out of a site's support: zero probability, rejected without running the model.
            return new Runner.TemperedMove(state, from.correction, false);
        }
        RandomProviderState before = save(rng);
        Step proposal = IndependentRuns.retrying(() -> {
            ex.beginBlock(rng, from, walk.addresses(), walk.instances(), values);
            Trace proposed = runTo(Policy.TO_THE_END);
            double logAlpha = ex.blockMet() < d || ex.controlledCount() == 0 ? Double.NEGATIVE_INFINITY
                    : ex.logTarget(temperature) - from.logTarget(temperature) + ex.staleLogProb() - ex.freshLogProb();
            return new Step(proposed, logAlpha, ex.correction());
        }, () -> Runner.restore(rng, before), "a step of chain", "chain", stream, settings.seed());
        if (proposal.logAlpha >= 0 || (proposal.logAlpha > Double.NEGATIVE_INFINITY && Math.log(u) < proposal.logAlpha)) {
            current = new ReplayExecution.Sites(proposal.trace, proposal.correction);
            return new Runner.TemperedMove(proposal.trace, proposal.correction, true);
        }
        return new Runner.TemperedMove(state, from.correction, false);
    }

    private static RandomProviderState save(UniformRandomProvider rng) {
        return rng instanceof RestorableUniformRandomProvider ? ((RestorableUniformRandomProvider) rng).saveState() : null;
    }

    /** Runs the model begun on {@code ex} up to {@code limit} observations. */
    private Trace runTo(int limit) {
        ex.stopAfter(limit);
        Object result;
        try {
            result = ex.runModel(settings.model());
        } catch (RunAbandoned stop) {
            result = null;
        }
        return ex.finish(result, 0);
    }

    /** A proposed trace and the log of its acceptance ratio (null and -inf: rejected outright). */
    private static final class Step {
        final Trace trace;
        final double logAlpha;
        final double correction;

        Step(Trace trace, double logAlpha, double correction) {
            this.trace = trace;
            this.logAlpha = logAlpha;
            this.correction = correction;
        }
    }

    /** One proposal from the current state: a whole-trace move, or a single-site one. */
    private Step propose(UniformRandomProvider rng, ReplayExecution.Sites state, int limit, double temperature) {
        Trace proposed;
        double logAlpha;
        int size = state.list.size();
        if (rng.nextDouble() < GLOBAL_MOVE) {
            // A whole new trace from the prior (an independence proposal, the same kernel from
            // every state): the prior terms cancel and the (tempered) likelihoods remain.
            ex.beginFresh(rng);
            proposed = runTo(limit);
            logAlpha = ReplayExecution.logTempered(proposed.logLikelihood(), ex.correction(), temperature)
                    - ReplayExecution.logTempered(state.trace.logLikelihood(), state.correction, temperature);
        } else if (size == 0) {
            // No controlled choice to move: the single-site kernel keeps the state.
            proposed = null;
            logAlpha = Double.NEGATIVE_INFINITY;
        } else {
            Variable site = state.list.get(rng.nextInt(size));
            Object value = null;
            double multiplier = 0;
            if (site.distribution().valueType() == ValueType.REAL && rng.nextBoolean()) {
                multiplier = WALK_SCALES[rng.nextInt(WALK_SCALES.length)];
                value = (Double) site.value() + multiplier * Math.sqrt(site.distribution().variance())
                        * ZigguratSampler.NormalizedGaussian.of(rng).sample();
            }
            if (value != null && site.distribution().logProbOf(value) == Double.NEGATIVE_INFINITY) {
                // A step out of the support has zero probability: rejected without running the
                // model, which might not accept such a value.
                proposed = null;
                logAlpha = Double.NEGATIVE_INFINITY;
            } else {
                ex.begin(rng, state, site.address(), site.instance(), value);
                proposed = runTo(limit);
                // A trace with no controlled choice left has no move back to this one: reject it.
                logAlpha = ex.controlledCount() == 0 ? Double.NEGATIVE_INFINITY
                        : ex.logTarget(temperature) - state.logTarget(temperature) + Math.log(size) - Math.log(ex.controlledCount())
                                + ex.staleLogProb() - ex.freshLogProb();
                if (value != null) {
                    logAlpha += walkAsymmetry(site, (Double) value, multiplier, ex.sitePrior());
                }
            }
        }
        return new Step(proposed, logAlpha, proposed == null ? 0 : ex.correction());
    }

    /**
     * log q(old | new) - log q(new | old) of a random walk whose scale is read from the site's
     * prior: the reverse walk reads it from the proposed trace, where the prior may differ (its
     * parameters may depend on an uncontrolled choice redrawn at this step). Zero when both agree.
     */
    private static double walkAsymmetry(Variable site, double value, double multiplier, Distribution<?> reversePrior) {
        double forward = multiplier * Math.sqrt(site.distribution().variance());
        double reverse = reversePrior == null || reversePrior.valueType() != ValueType.REAL ? Double.NaN
                : multiplier * Math.sqrt(reversePrior.variance());
        if (reverse == forward) {
            return 0;
        }
        if (!(reverse > 0) || !Double.isFinite(reverse)) {
            // No walk leads back: the move cannot be reversed.
            return Double.NEGATIVE_INFINITY;
        }
        double d = value - (Double) site.value();
        return -Math.log(reverse) - d * d / (2 * reverse * reverse) + Math.log(forward) + d * d / (2 * forward * forward);
    }
}
