package dev.probe.runtime.inference;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.rng.RandomProviderState;
import org.apache.commons.rng.RestorableUniformRandomProvider;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

import dev.probe.runtime.distribution.ValueType;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.PosteriorBuilder;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * Lightweight single-site Metropolis-Hastings (Wingate, Stuhlmüller and Goodman 2011), as pyprob's
 * LMH and RMH: each step picks one controlled choice of the current trace uniformly, proposes a
 * new value for it, and re-runs the model, reusing every other choice at the same address and
 * instance. For a real-valued choice the new value is, with probability one half, a Gaussian
 * random walk from the old one (scale 1, 0.1 or 0.01 of the prior's standard deviation, picked at
 * random); otherwise it is drawn from the prior. One step in fifty instead proposes a whole new
 * trace from the prior. The acceptance ratio accounts for choices the
 * new trace drew afresh and those of the old trace it dropped, so traces whose structure changes
 * from run to run are handled exactly. Several independent chains run in parallel; chain c draws
 * from generator (seed, -1 - c), so the result depends on the seed alone.
 */
public final class MetropolisHastings implements Engine {

    private static final double[] WALK_SCALES = {1, 0.1, 0.01};
    /**
     * The probability of a step that proposes a whole trace from the prior. Chosen independently
     * of the state, it keeps the chain exact for traces with no controlled choice and lets it leave
     * modes that single-site moves cannot.
     */
    static final double GLOBAL_MOVE = 0.02;
    private static final int MAX_START_ATTEMPTS = 1000;

    @Override
    public String name() {
        return "rmh";
    }

    /** The burn-in used when none is given: a fifth of each chain's kept samples, at least 200 steps. */
    public static int defaultBurnIn(int keptPerChain) {
        return Math.max(200, keptPerChain / 5);
    }

    @Override
    public Posterior run(Settings settings) {
        int n = settings.traces();
        int chains = Math.min(settings.chains(), n);
        int[] lengths = new int[chains];
        int[] offsets = new int[chains];
        for (int c = 0, off = 0; c < chains; c++) {
            lengths[c] = n / chains + (c < n % chains ? 1 : 0);
            offsets[c] = off;
            off += lengths[c];
        }
        int burnIn = settings.burnIn() >= 0 ? settings.burnIn() : defaultBurnIn(lengths[0]);
        int thin = settings.thin();
        PosteriorBuilder builder = new PosteriorBuilder(n, settings.recordAddresses(), settings.keepTraces(),
                settings.observations().names());
        CallSites callSites = Execution.callSites();
        AtomicInteger nextChain = new AtomicInteger();
        AtomicLong accepted = new AtomicLong();
        AtomicLong stepsDone = new AtomicLong();
        long totalSteps = 0;
        for (int len : lengths) {
            totalSteps += burnIn + (long) len * thin;
        }
        long total = totalSteps;
        Set<String> observedAll = new TreeSet<>();
        RuntimeException[] failures = new RuntimeException[chains];
        Workers.run(Math.min(settings.threads(), chains), () -> {
            Set<String> observed = new HashSet<>();
            ReplayExecution ex = new ReplayExecution(settings.observations(), callSites, observed);
            for (int c = nextChain.getAndIncrement(); c < chains; c = nextChain.getAndIncrement()) {
                try {
                    PosteriorBuilder.Chunk chunk = builder.chunk(offsets[c], lengths[c]);
                    accepted.addAndGet(chain(settings, ex, c, burnIn, thin, offsets[c], lengths[c], chunk, stepsDone, total));
                    builder.add(chunk);
                } catch (RuntimeException e) {
                    failures[c] = e;
                }
            }
            synchronized (observedAll) {
                observedAll.addAll(observed);
            }
        });
        for (RuntimeException f : failures) {
            if (f != null) {
                throw f;
            }
        }
        ImportanceSampling.checkObservedNames(settings.observations(), observedAll);
        Map<String, String> info = settings.provenance(name());
        info.put("chains", Integer.toString(chains));
        info.put("burn_in", Integer.toString(burnIn));
        info.put("thin", Integer.toString(thin));
        info.put("acceptance", String.format(Locale.ROOT, "%.4f", accepted.get() / (double) totalSteps));
        return builder.build(Double.NaN, lengths, info);
    }

    private long chain(Settings settings, ReplayExecution ex, int c, int burnIn, int thin, int offset, int length,
            PosteriorBuilder.Chunk chunk, AtomicLong stepsDone, long total) {
        UniformRandomProvider rng = Seeds.generator(settings.seed(), -1L - c);
        RestorableUniformRandomProvider restorable = (RestorableUniformRandomProvider) rng;
        ReplayExecution.Sites current = start(settings, ex, rng, c);
        long steps = burnIn + (long) length * thin;
        long accepted = 0;
        int kept = 0;
        for (long step = 0; step < steps; step++) {
            // A step lost by its model source (a dead simulator) is taken again from the same state.
            RandomProviderState before = restorable.saveState();
            ReplayExecution.Sites from = current;
            Step proposal = IndependentRuns.retrying(() -> propose(settings, ex, rng, from),
                    () -> restorable.restoreState(before), "a step of chain", "chain", c, settings.seed());
            Trace proposed = proposal.trace;
            double logAlpha = proposal.logAlpha;
            if (logAlpha >= 0 || (logAlpha > Double.NEGATIVE_INFINITY && Math.log(rng.nextDouble()) < logAlpha)) {
                current = new ReplayExecution.Sites(proposed);
                accepted++;
            }
            if (step >= burnIn && (step - burnIn) % thin == 0) {
                chunk.record(offset + kept, current.trace);
                kept++;
            }
            if ((step & 1023) == 1023) {
                settings.progress().progress(stepsDone.addAndGet(1024), total);
            }
        }
        return accepted;
    }

    /** A proposed trace and the log of its acceptance ratio (null and -inf: rejected outright). */
    private static final class Step {
        final Trace trace;
        final double logAlpha;

        Step(Trace trace, double logAlpha) {
            this.trace = trace;
            this.logAlpha = logAlpha;
        }
    }

    /** One proposal from the current state: a whole-trace move, or a single-site one. */
    private static Step propose(Settings settings, ReplayExecution ex, UniformRandomProvider rng, ReplayExecution.Sites current) {
        Trace proposed;
        double logAlpha;
        int size = current.list.size();
        if (rng.nextDouble() < GLOBAL_MOVE) {
            // A whole new trace from the prior (an independence proposal, the same kernel from
            // every state): the prior terms cancel and the likelihoods remain.
            ex.beginFresh(rng);
            proposed = ex.finish(ex.runModel(settings.model()), 0);
            logAlpha = proposed.logLikelihood() - current.trace.logLikelihood();
        } else if (size == 0) {
            // No controlled choice to move: the single-site kernel keeps the state.
            proposed = null;
            logAlpha = Double.NEGATIVE_INFINITY;
        } else {
            Variable site = current.list.get(rng.nextInt(size));
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
                ex.begin(rng, current, site.address(), site.instance(), value);
                proposed = ex.finish(ex.runModel(settings.model()), 0);
                // A trace with no controlled choice left has no move back to this one: reject it.
                logAlpha = ex.controlledCount() == 0 ? Double.NEGATIVE_INFINITY
                        : ex.logJoint() - current.logJoint + Math.log(size) - Math.log(ex.controlledCount())
                                + ex.staleLogProb() - ex.freshLogProb();
                if (value != null) {
                    logAlpha += walkAsymmetry(site, (Double) value, multiplier, ex.sitePrior());
                }
            }
        }
        return new Step(proposed, logAlpha);
    }

    /**
     * log q(old | new) - log q(new | old) of a random walk whose scale is read from the site's
     * prior: the reverse walk reads it from the proposed trace, where the prior may differ (its
     * parameters may depend on an uncontrolled choice redrawn at this step). Zero when both agree.
     */
    private static double walkAsymmetry(Variable site, double value, double multiplier,
            dev.probe.runtime.distribution.Distribution<?> reversePrior) {
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

    private static ReplayExecution.Sites start(Settings settings, ReplayExecution ex, UniformRandomProvider rng, int c) {
        RestorableUniformRandomProvider restorable = (RestorableUniformRandomProvider) rng;
        for (int attempt = 0; attempt < MAX_START_ATTEMPTS; attempt++) {
            // A run lost by its model source is taken again with the same numbers, as in a step.
            RandomProviderState before = restorable.saveState();
            Trace t = IndependentRuns.retrying(() -> {
                ex.beginFresh(rng);
                return ex.finish(ex.runModel(settings.model()), 0);
            }, () -> restorable.restoreState(before), "the first run of chain", "chain", c, settings.seed());
            if (ex.logJoint() > Double.NEGATIVE_INFINITY) {
                return new ReplayExecution.Sites(t);
            }
        }
        throw new ModelException("Metropolis-Hastings chain " + c + " found no starting point: " + MAX_START_ATTEMPTS
                + " runs from the prior all had zero probability under the observations");
    }
}
