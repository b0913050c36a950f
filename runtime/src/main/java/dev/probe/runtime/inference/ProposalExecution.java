package dev.probe.runtime.inference;

import java.util.Set;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.ModelException;

/**
 * A run whose controlled choices come from a {@link Proposal} (the prior when it has none). It
 * keeps the importance correction: the sum over proposed choices of log p - log q.
 */
final class ProposalExecution extends Execution {

    private final Proposal proposal;
    private final Observations observations;
    private Proposer proposer;
    private double logCorrection;
    private double lastLogQ;
    private long proposed;
    private long fallbacks;

    ProposalExecution(Observations observations, boolean conditioning, CallSites callSites, Set<String> observedNames,
            Proposal proposal) {
        super(observations, conditioning, callSites, observedNames);
        this.proposal = proposal;
        this.observations = observations;
    }

    void begin(UniformRandomProvider generator) {
        reset(generator);
        logCorrection = 0;
        proposer = proposal == Proposal.PRIOR ? null : proposal.start(observations);
    }

    @Override
    <T> T decide(Address address, int instance, Distribution<T> prior, boolean control) {
        lastLogQ = Double.NaN;
        if (!control || proposer == null) {
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

    @Override
    void decided(Address address, int instance, Distribution<?> prior, Object value, double logProb, boolean control) {
        if (!Double.isNaN(lastLogQ)) {
            logCorrection += logProb - lastLogQ;
        }
        if (control && proposer != null) {
            proposer.chosen(address, instance, prior, value);
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

    /** Controlled choices for which the proposal had nothing and the prior was used. */
    long fallbacks() {
        return fallbacks;
    }
}
