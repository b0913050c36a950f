package dev.probe.runtime.inference;

import java.util.List;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineOptions;
import dev.probe.runtime.engine.IndependentRuns;
import dev.probe.runtime.engine.Settings;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.Diagnostics;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.PosteriorBuilder;

/**
 * Importance sampling: independent runs whose controlled choices come from a {@link Proposal}
 * (the prior by default), each weighted by p(x, y) / q(x). With the prior as the proposal the
 * weight is the likelihood. Also prior sampling, where nothing is weighted and observations with
 * no value are simulated. The runs are cut into blocks ({@link IndependentRuns}) that the
 * settings' backend runs.
 */
public final class ImportanceSampling implements Engine {

    /**
     * Importance sampling's options.
     *
     * @param proposal where controlled choices come from
     */
    public record Options(Proposal proposal) implements EngineOptions {
        @Override
        public String describe() {
            return "proposal=" + proposal.describe();
        }
    }

    /**
     * The proposal's work, over all runs (all zero for the prior).
     *
     * @param proposed     choices drawn from the proposal
     * @param fallbacks    controlled choices for which it had nothing (drawn from the prior)
     * @param uncontrolled choices marked uncontrolled (drawn from the prior)
     */
    public record Report(long proposed, long fallbacks, long uncontrolled) implements Diagnostics {
        @Override
        public List<Figure> figures() {
            return List.of(Figure.count("proposed", "proposed", proposed),
                    Figure.count("fallbacks", "fallbacks to the prior", fallbacks),
                    Figure.count("uncontrolled", "uncontrolled", uncontrolled));
        }
    }

    private final boolean prior;
    private final Options options;
    private final String name;

    private ImportanceSampling(boolean prior, Options options, String name) {
        this.prior = prior;
        this.options = options;
        this.name = name;
    }

    /** Importance sampling with {@code proposal}. */
    public static ImportanceSampling weighted(Proposal proposal) {
        return new ImportanceSampling(false, new Options(proposal), "is");
    }

    /** Importance sampling with {@code proposal}, reported under another name (ic: a trained network's proposal). */
    public static ImportanceSampling named(String name, Proposal proposal) {
        return new ImportanceSampling(false, new Options(proposal), name);
    }

    /** Prior sampling: unweighted runs, unobserved observations simulated. */
    public static ImportanceSampling prior() {
        return new ImportanceSampling(true, new Options(Proposal.PRIOR), "prior");
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Options options() {
        return options;
    }

    @Override
    public Posterior run(Settings settings) {
        List<IndependentRuns.Block> blocks = IndependentRuns.run(settings,
                new IndependentRuns.Work(options.proposal(), !prior, !prior));
        return assemble(settings, blocks);
    }

    /**
     * The posterior of blocks covering every run of {@code settings}, wherever and however they
     * were computed: the same, to the last bit, whatever the blocks' ranges.
     */
    public Posterior assemble(Settings settings, List<IndependentRuns.Block> blocks) {
        PosteriorBuilder builder = new PosteriorBuilder(settings.traces(), settings.recordAddresses(), settings.keepTraces(),
                settings.observations().names());
        IndependentRuns.Block total = IndependentRuns.merge(blocks, builder);
        if (total.start() != 0 || total.end() != settings.traces()) {
            throw new IllegalArgumentException("the blocks cover runs " + total.start() + ".." + total.end() + ", not all "
                    + settings.traces());
        }
        checkObservedNames(settings.observations(), total.observedNames());
        Diagnostics report = options.proposal() == Proposal.PRIOR ? Diagnostics.NONE
                : new Report(total.proposed(), total.fallbacks(), total.uncontrolled());
        if (prior) {
            return builder.build(Double.NaN, null, settings.provenance(this), report);
        }
        double logEvidence = builder.logMeanWeight();
        if (logEvidence == Double.NEGATIVE_INFINITY) {
            throw new ModelException("every one of the " + settings.traces() + " runs has zero weight: the observations are"
                    + " impossible under the model as sampled (check their values, or run more traces)");
        }
        return builder.build(logEvidence, null, settings.provenance(this), report);
    }

    /** A value given for a name that no run observed is a mistake worth stopping for. */
    public static void checkObservedNames(Observations observations, java.util.Set<String> observed) {
        for (String name : observations.names()) {
            if (!observed.contains(name)) {
                throw new ModelException("a value was given for '" + name + "', which no run observes; the model observes "
                        + (observed.isEmpty() ? "nothing" : String.join(", ", observed)));
            }
        }
    }
}
