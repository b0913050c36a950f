package dev.probe.runtime.inference;

/**
 * Where importance sampling's proposals come from: the prior (the default) or, with inference
 * compilation, a trained network. A proposal is shared by all runs of an inference; it opens one
 * {@link Proposer} per run, since proposals may depend on the run's earlier choices.
 */
@FunctionalInterface
public interface Proposal {

    /** The prior itself: every choice drawn from its own distribution. */
    Proposal PRIOR = observations -> null;

    /**
     * The proposer for one run, given the observations; null to draw every choice of the run from
     * its prior.
     */
    Proposer start(Observations observations);

    /**
     * Runs that should advance side by side so that this proposal can answer them in batches (see
     * {@link RunGroup}); 1, the default, runs them one after another.
     */
    default int groupSize() {
        return 1;
    }

    /** The proposer for one run that is member {@code member} of {@code group}. */
    default Proposer start(Observations observations, RunGroup group, int member) {
        return start(observations);
    }

    /** A short name for reports. */
    default String name() {
        return this == PRIOR ? "prior" : getClass().getSimpleName();
    }

    /**
     * The name and, after commas, whatever settings change the proposals (as {@code key=value}),
     * for a posterior's provenance: two posteriors made with different settings are not one
     * experiment. By default the name alone.
     */
    default String describe() {
        return name();
    }
}
