package dev.probe.runtime.model;

import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

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
     * A rejection-sampling loop, marked so engines can treat it as one: runs {@code body} until
     * {@code accept} holds for its result and returns that result. The result is distributed as
     * the body's result conditioned on acceptance, whatever the engine.
     *
     * <p>Prior sampling and importance sampling keep only the accepted iteration in the trace.
     * Inference compilation proposes every iteration from the state before the loop and weights
     * the accepted one by unbiased estimates of the acceptance rates under the proposal and the
     * prior (after Naderiparizi et al., AISTATS 2022), so rejected iterations cost no effective
     * sample size. Metropolis-Hastings runs it as a plain loop. The body must not observe or
     * factor: only the accepted result may meet data.
     *
     * @param name   names the loop in messages
     * @param body   one iteration; its random choices go through the context it is given
     * @param accept whether an iteration's result is accepted
     */
    default <T> T rejection(String name, Function<Context, T> body, Predicate<? super T> accept) {
        while (true) {
            T value = body.apply(this);
            if (accept.test(value)) {
                return value;
            }
        }
    }

    /**
     * A seed from which a model source that runs elsewhere (an external simulator) may draw this
     * run's choices itself, present only when the engine would draw every choice of the run from
     * its prior and decides none (prior sampling, importance sampling from the prior, simulating
     * training data). The same run of the same inference gets the same seed, whatever thread or
     * worker runs it. Choices drawn so are reported with {@link #sampleDrawn} and
     * {@link #observeDrawn}; the model may still leave any choice to {@link #sample}.
     */
    default java.util.OptionalLong selfDrawSeed() {
        return java.util.OptionalLong.empty();
    }

    /**
     * Records a choice the model source drew itself from {@code distribution} under
     * {@link #selfDrawSeed()}, as {@link #sample(Distribution, Address, String, boolean)} records
     * the engine's; returns {@code value}.
     *
     * @throws IllegalStateException when this run has no self-draw seed
     */
    default <T> T sampleDrawn(Distribution<T> distribution, Address address, String name, boolean control, T value) {
        throw new IllegalStateException("this engine decides every choice: a model may not draw its own");
    }

    /**
     * {@link #observe(Distribution, String)} for a model source drawing under
     * {@link #selfDrawSeed()}: where no value is given and the engine simulates, the observation
     * takes {@code drawn}, the value the model source drew itself (null: it drew none, and the
     * engine draws it). Returns the observation's value.
     */
    default <T> T observeDrawn(Distribution<T> distribution, String name, T drawn) {
        throw new IllegalStateException("this engine decides every choice: a model may not draw its own");
    }

    /**
     * The values given for named observations in this inference, as given (an array for a name
     * that occurs several times). Model sources that run elsewhere (external simulators) send them
     * along so that observations need no round trip.
     */
    default Map<String, Object> observations() {
        return Map.of();
    }
}
