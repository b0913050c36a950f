package dev.probe.runtime.trace;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.model.Address;

/**
 * One entry of a run's trace: a random choice, an observation or a tag.
 *
 * @param address   where it happened (a name or a call-site chain)
 * @param instance  how many times the same address occurred earlier in the run
 * @param name      the user's name, or null for an unnamed choice
 * @param role      sample, observation or tag
 * @param distribution the distribution (null for a tag)
 * @param value     the value decided, observed or tagged
 * @param logProb   its log density or mass under the distribution (0 for a tag)
 * @param controlled whether engines may decide it (false for {@code control: false} samples,
 *                   observations and tags)
 */
public record Variable(Address address, int instance, String name, Role role, Distribution<?> distribution,
        Object value, double logProb, boolean controlled) implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    /** What a trace entry is. */
    public enum Role {
        /** A random choice. */
        SAMPLE,
        /** A point where the simulation meets data (given or, under prior sampling, simulated). */
        OBSERVE,
        /** A deterministic value recorded for the summaries. */
        TAG
    }

    /** Whether this is a random choice (controlled or not). */
    public boolean isSample() {
        return role == Role.SAMPLE;
    }

    /** Whether this is an observation. */
    public boolean isObserved() {
        return role == Role.OBSERVE;
    }

    /** The name if the user gave one, else the address. */
    public String label() {
        return name != null ? name : address.key();
    }
}
