package dev.probe.runtime.model;

import java.util.Map;

import dev.probe.runtime.distribution.Distribution;

/**
 * What a model calls to make random choices and meet data. The engine hands each run its own
 * context; there is no global or thread-local state, so inferences can run side by side.
 */
public interface Context {

    /**
     * A random choice, addressed by its call site (the chain of the model's own frames that led
     * here) and the distribution's kind. Naming a choice is cheaper and clearer: prefer
     * {@link #sample(Distribution, String)} for the variables you want to read back.
     */
    <T> T sample(Distribution<T> distribution);

    /** A random choice addressed and reported by {@code name}. */
    <T> T sample(Distribution<T> distribution, String name);

    /**
     * A named random choice; with {@code control} false it is always drawn from the distribution
     * itself, never proposed by a network nor moved by Metropolis-Hastings.
     */
    <T> T sample(Distribution<T> distribution, String name, boolean control);

    /**
     * A random choice at an address that the model source computed itself (scripts and external
     * simulators do); {@code name} is null for an unnamed choice.
     */
    <T> T sample(Distribution<T> distribution, Address address, String name, boolean control);

    /**
     * Conditions on the value given for {@code name}; where none is given and the engine simulates
     * (prior sampling, training), draws it from the distribution and records it. Returns the value.
     */
    <T> T observe(Distribution<T> distribution, String name);

    /** Conditions on a fixed value written in the model. Returns the value. */
    <T> T observe(Distribution<T> distribution, T value);

    /** Adds {@code logWeight} to the log weight of the run. */
    void factor(double logWeight);

    /** Records a deterministic value under {@code name}; summaries report it like a named sample. */
    void tag(Object value, String name);

    /**
     * The values given for named observations in this inference, as given (an array for a name
     * that occurs several times). Model sources that run elsewhere (external simulators) send them
     * along so that observations need no round trip.
     */
    default Map<String, Object> observations() {
        return Map.of();
    }
}
