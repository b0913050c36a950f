package dev.probe.runtime.inference;

import java.util.Map;

import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.PosteriorBuilder;

/**
 * Importance sampling: independent runs whose controlled choices come from a {@link Proposal}
 * (the prior by default), each weighted by p(x, y) / q(x). With the prior as the proposal the
 * weight is the likelihood. Also prior sampling, where nothing is weighted and observations with
 * no value are simulated.
 */
public final class ImportanceSampling implements Engine {

    private final boolean prior;

    private ImportanceSampling(boolean prior) {
        this.prior = prior;
    }

    /** Importance sampling with the settings' proposal. */
    public static ImportanceSampling weighted() {
        return new ImportanceSampling(false);
    }

    /** Prior sampling: unweighted runs, unobserved observations simulated. */
    public static ImportanceSampling prior() {
        return new ImportanceSampling(true);
    }

    @Override
    public String name() {
        return prior ? "prior" : "is";
    }

    @Override
    public Posterior run(Settings settings) {
        PosteriorBuilder builder = new PosteriorBuilder(settings.traces(), settings.recordAddresses(), settings.keepTraces(),
                settings.observations().names());
        IndependentRuns.Outcome outcome = IndependentRuns.run(settings, !prior, !prior, builder);
        checkObservedNames(settings.observations(), outcome.observedNames);
        Map<String, String> info = settings.provenance(name());
        info.put("proposal", settings.proposal().name());
        if (settings.proposal() != Proposal.PRIOR) {
            info.put("proposed", Long.toString(outcome.proposed));
            info.put("fallbacks", Long.toString(outcome.fallbacks));
            info.put("uncontrolled", Long.toString(outcome.uncontrolled));
        }
        if (prior) {
            return builder.build(Double.NaN, null, info);
        }
        double logEvidence = builder.logMeanWeight();
        if (logEvidence == Double.NEGATIVE_INFINITY) {
            throw new ModelException("every one of the " + settings.traces() + " runs has zero weight: the observations are"
                    + " impossible under the model as sampled (check their values, or run more traces)");
        }
        return builder.build(logEvidence, null, info);
    }

    /** A value given for a name that no run observed is a mistake worth stopping for. */
    static void checkObservedNames(Observations observations, java.util.Set<String> observed) {
        for (String name : observations.names()) {
            if (!observed.contains(name)) {
                throw new ModelException("a value was given for '" + name + "', which no run observes; the model observes "
                        + (observed.isEmpty() ? "nothing" : String.join(", ", observed)));
            }
        }
    }
}
