package dev.probe.runtime.engine;

import java.util.Set;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.inference.RunGroup;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.ModelException;

/**
 * A run whose controlled choices come from a {@link Proposal} (the prior when it has none). It
 * keeps the importance correction: the sum over proposed choices of log p - log q. It may first
 * replay the choices of an earlier (partial) trace, in order: those are not proposed and leave
 * the correction, and the proposer is told of them as if it had proposed them.
 */
final class ProposalExecution extends Execution {

    private final Proposal proposal;
    private final Observations observations;
    private Proposer proposer;
    private double logCorrection;
    private double lastLogQ;
    private long proposed;
    private long fallbacks;
    private long uncontrolled;
    /** The choices to replay, in order, or null; and how many have been replayed in this run. */
    private Variable[] replay;
    private int replayed;

    ProposalExecution(Observations observations, boolean conditioning, CallSites callSites, Set<String> observedNames,
            Proposal proposal) {
        super(observations, conditioning, callSites, observedNames);
        this.proposal = proposal;
        this.observations = observations;
    }

    /** Whether runs from the prior may be drawn by the model source itself (independent runs only). */
    private boolean selfDrawAllowed;

    /**
     * Lets runs that draw every choice from the prior, replaying nothing, offer the model a
     * {@link #selfDrawSeed}: only for independent runs, never for runs an engine stops and
     * replays (SMC) or moves (Metropolis-Hastings).
     */
    ProposalExecution allowSelfDraw() {
        selfDrawAllowed = true;
        return this;
    }

    @Override
    boolean selfDrawing() {
        return selfDrawAllowed && proposer == null && replay == null;
    }

    /** Prepares a run that is member {@code member} of {@code group} (null: a run on its own). */
    void begin(UniformRandomProvider generator, RunGroup group, int member) {
        reset(generator);
        logCorrection = 0;
        replay = null;
        replayed = 0;
        proposer = proposal == Proposal.PRIOR ? null
                : group == null ? proposal.start(observations) : proposal.start(observations, group, member);
    }

    /** Replays the random choices of {@code prefix}, in order, before any is drawn or proposed. */
    void replay(Trace prefix) {
        java.util.List<Variable> samples = prefix.samples();
        replay = samples.toArray(new Variable[0]);
    }

    private boolean replaying() {
        return replay != null && replayed < replay.length;
    }

    @Override
    <T> T decide(Address address, int instance, Distribution<T> prior, boolean control) {
        lastLogQ = Double.NaN;
        if (proposer == null && replay == null) {
            // Prior sampling, kept small so that it inlines into the model's code.
            return prior.sample(rng);
        }
        return proposeOrReplay(address, instance, prior, control);
    }

    private <T> T proposeOrReplay(Address address, int instance, Distribution<T> prior, boolean control) {
        if (replaying()) {
            Variable v = replay[replayed++];
            if (v.instance() != instance || !v.address().equals(address) || !v.distribution().kind().equals(prior.kind())) {
                throw new ModelException("replaying an earlier run, choice " + replayed + " is " + address + " (" + prior.kind()
                        + ") where the earlier run had " + v.address() + " (" + v.distribution().kind() + "): the model"
                        + " must make the same choices given the same values (no randomness of its own)");
            }
            if (control && proposer != null) {
                // Advances the proposer's state as if it had proposed this choice.
                proposer.propose(address, instance, prior);
            }
            return prior.cast(v.value());
        }
        if (proposer == null) {
            return prior.sample(rng);
        }
        if (!control) {
            uncontrolled++;
            return prior.sample(rng);
        }
        Distribution<?> q = proposer.propose(address, instance, prior);
        if (q == null) {
            fallbacks++;
            return prior.sample(rng);
        }
        if (q.valueType() != prior.valueType() || q.dimension() != prior.dimension()) {
            throw new ModelException("the proposal for " + address + " gives " + q.kind() + " values where the prior "
                    + prior.kind() + " has values of another type");
        }
        proposed++;
        Object v = q.sample(rng);
        lastLogQ = q.logProbOf(v);
        return prior.cast(v);
    }

    /**
     * A choice drawn from its prior in a run that keeps no trace leaves its density unread: the
     * importance correction counts proposed choices only ({@code lastLogQ} is NaN for the rest).
     */
    @Override
    boolean priorDensityRead() {
        return !Double.isNaN(lastLogQ) || super.priorDensityRead();
    }

    @Override
    void decided(Address address, int instance, Distribution<?> prior, Object value, double logProb, boolean control) {
        if (!Double.isNaN(lastLogQ)) {
            logCorrection += logProb - lastLogQ;
        }
        if (control && proposer != null) {
            proposer.chosen(address, instance, prior, value);
        }
    }

    /** Prior-only repetitions of a loop whose trial counts estimate 1 / (its acceptance rate under the prior). */
    static final int PRIOR_ESTIMATES = 8;

    /**
     * Only the accepted iteration stays in the trace. Without a loop-aware proposer the accepted
     * value comes from the prior conditioned on acceptance, which is the model's own meaning. With
     * one, every iteration is proposed from the state before the loop, so the accepted value has
     * density q(x) / A_q and the weight is p(x) A_q / (q(x) A_p): A_q is estimated without bias by
     * 1 / (trials to the second acceptance - 1), 1 / A_p by the mean of {@link #PRIOR_ESTIMATES}
     * counts of prior-only trials to an acceptance.
     */
    @Override
    public <T> T rejection(String name, java.util.function.Function<dev.probe.runtime.model.Context, T> body,
            java.util.function.Predicate<? super T> accept) {
        if (replaying()) {
            // The earlier run kept only the accepted iteration: replayed, it is accepted at once.
            return super.rejection(name, body, accept);
        }
        Object start = proposer == null ? null : proposer.snapshot();
        int mark = mark();
        double prior0 = logPrior;
        double likelihood0 = logLikelihood;
        double correction0 = logCorrection;
        T kept = null;
        java.util.List<dev.probe.runtime.trace.Variable> keptEntries = null;
        double keptPrior = 0;
        double keptCorrection = 0;
        Object after = null;
        long trials = 0;
        int accepted = 0;
        while (accepted < (start == null ? 1 : 2)) {
            if (start != null) {
                proposer.restore(start);
            }
            T value = body.apply(this);
            trials++;
            if (logLikelihood != likelihood0) {
                throw new ModelException("rejection loop '" + name + "': its body observes or factors; only the loop's"
                        + " accepted result may meet data (observe it after the loop)");
            }
            if (accept.test(value)) {
                accepted++;
                if (accepted == 1) {
                    kept = value;
                    // Kept aside, still counted: later iterations are numbered after it and given back.
                    keptEntries = cut(mark);
                    keptPrior = logPrior - prior0;
                    keptCorrection = logCorrection - correction0;
                    after = start == null ? null : proposer.snapshot();
                }
            } else if (trials >= MAX_TRIALS) {
                throw endless(name, trials);
            }
            uncount(cut(mark));
            logPrior = prior0;
            logCorrection = correction0;
        }
        append(keptEntries);
        logPrior = prior0 + keptPrior;
        logCorrection = correction0 + keptCorrection;
        if (start != null) {
            proposer.restore(after);
            logCorrection += -Math.log(trials - 1) + Math.log(priorTrials(name, body, accept));
        }
        return kept;
    }

    /** The mean over {@link #PRIOR_ESTIMATES} repetitions of the prior-only trials to an acceptance. */
    private <T> double priorTrials(String name, java.util.function.Function<dev.probe.runtime.model.Context, T> body,
            java.util.function.Predicate<? super T> accept) {
        PriorScratch scratch = new PriorScratch(rng, name);
        long total = 0;
        for (int i = 0; i < PRIOR_ESTIMATES; i++) {
            for (long t = 1;; t++) {
                if (accept.test(body.apply(scratch))) {
                    total += t;
                    break;
                }
                if (t >= MAX_TRIALS) {
                    throw endless(name, t);
                }
            }
        }
        return (double) total / PRIOR_ESTIMATES;
    }

    /** A context that draws every choice from its prior and records nothing: for estimating acceptance rates. */
    private static final class PriorScratch implements dev.probe.runtime.model.Context {
        private final UniformRandomProvider rng;
        private final String loop;

        PriorScratch(UniformRandomProvider rng, String loop) {
            this.rng = rng;
            this.loop = loop;
        }

        @Override
        public <T> T sample(Distribution<T> d) {
            return d.sample(rng);
        }

        @Override
        public <T> T sample(Distribution<T> d, String name) {
            return d.sample(rng);
        }

        @Override
        public <T> T sample(Distribution<T> d, String name, boolean control) {
            return d.sample(rng);
        }

        @Override
        public <T> T sample(Distribution<T> d, Address address, String name, boolean control) {
            return d.sample(rng);
        }

        @Override
        public <T> T observe(Distribution<T> d, String name) {
            throw new ModelException("rejection loop '" + loop + "': its body observes '" + name + "'; only the loop's"
                    + " accepted result may meet data (observe it after the loop)");
        }

        @Override
        public <T> T observe(Distribution<T> d, T value) {
            throw new ModelException("rejection loop '" + loop + "': its body observes; only the loop's accepted result"
                    + " may meet data (observe it after the loop)");
        }

        @Override
        public void factor(double logWeight) {
            throw new ModelException("rejection loop '" + loop + "': its body calls factor; only the loop's accepted result"
                    + " may meet data");
        }

        @Override
        public void tag(Object value, String name) {
        }
    }

    /** log p(x, y) - log q(x): the log importance weight of the run just finished. */
    double logImportanceWeight() {
        return logLikelihood + logCorrection;
    }

    /** Choices drawn from a proposal so far. */
    long proposed() {
        return proposed;
    }

    /** {@link #proposed}, {@link #fallbacks} and {@link #uncontrolled}, each counted afresh from now on. */
    long[] takeCounts() {
        long[] counts = {proposed, fallbacks, uncontrolled};
        proposed = 0;
        fallbacks = 0;
        uncontrolled = 0;
        return counts;
    }

    /** Controlled choices for which the proposal had nothing and the prior was used. */
    long fallbacks() {
        return fallbacks;
    }

    /** Choices marked uncontrolled, drawn from the prior although a proposal was there. */
    long uncontrolled() {
        return uncontrolled;
    }
}
