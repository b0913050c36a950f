package dev.probe.runtime.inference;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.model.Address;

/** Proposes the random choices of one run, in order. Used by one thread at a time. */
public interface Proposer {

    /**
     * The distribution to draw the choice at {@code address}, instance {@code instance}, from;
     * null to draw it from {@code prior} (a fallback the engine counts). The proposal must give
     * values of the prior's type and put mass wherever the prior does.
     */
    Distribution<?> propose(Address address, int instance, Distribution<?> prior);

    /** Told the value chosen for each controlled choice, proposed or not, before the next one is asked for. */
    default void chosen(Address address, int instance, Distribution<?> prior, Object value) {
    }

    /**
     * The proposer's state, to return to at each iteration of a marked rejection loop
     * ({@link dev.probe.runtime.model.Context#rejection}) so that every iteration is proposed
     * alike; null when the proposer does not treat such loops (then they run as plain loops).
     */
    default Object snapshot() {
        return null;
    }

    /** Returns to a state {@link #snapshot} gave. */
    default void restore(Object snapshot) {
    }
}
