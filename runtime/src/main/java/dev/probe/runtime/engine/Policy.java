package dev.probe.runtime.engine;

import java.util.Objects;

import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.trace.Trace;

/**
 * How a {@link Runner} makes one run's random choices: first replay the choices of an earlier,
 * possibly partial, trace in order (none by default); then draw each controlled choice from a
 * {@link Proposal} (the prior by default; uncontrolled choices always from the prior); and stop
 * after a number of observations (never, by default). Immutable.
 *
 * @param proposal         where new controlled choices come from
 * @param replay           the trace whose choices are replayed first, or null
 * @param observationLimit the run stops once it has met this many observations
 */
public record Policy(Proposal proposal, Trace replay, int observationLimit) {

    /** No limit on observations: the run goes to its end. */
    public static final int TO_THE_END = Integer.MAX_VALUE;

    private static final Policy PRIOR = new Policy(Proposal.PRIOR, null, TO_THE_END);

    public Policy {
        Objects.requireNonNull(proposal, "proposal");
        if (observationLimit <= 0) {
            throw new IllegalArgumentException("a run must be allowed at least one observation, got " + observationLimit);
        }
    }

    /** Every choice from its prior, to the end. */
    public static Policy prior() {
        return PRIOR;
    }

    /** Every controlled choice from {@code proposal}, to the end. */
    public static Policy proposing(Proposal proposal) {
        return new Policy(proposal, null, TO_THE_END);
    }

    /** The same, replaying {@code prefix}'s choices first. */
    public Policy replaying(Trace prefix) {
        return new Policy(proposal, prefix, observationLimit);
    }

    /** The same, stopping once {@code observations} observations have been met. */
    public Policy stoppingAfter(int observations) {
        return new Policy(proposal, replay, observations);
    }
}
