package dev.probe.compiler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.probe.proposals.NetworkProposal;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.trace.Trace;

/**
 * The wake phase's runs: importance sampling at one observation with the network as trained so
 * far as its proposal (with a defensive share, as {@code probe infer --defensive} draws it), each
 * run with its log importance weight. Weighted by those weights, the runs are draws from the
 * posterior at that observation, the distribution the network's proposal is meant to match there.
 */
public final class WakeSampler {

    /** The defensive share of the wake phase's runs ({@link NetworkProposal}): their weights stay bounded in q's tails. */
    static final double DEFENSIVE = 0.2;

    private final Model model;
    private final String label;
    private final Map<String, ?> observations;
    private final int threads;
    private final int maxCategories;

    /**
     * @param model        the model, whose runs are conditioned on {@code observations}
     * @param observations the observation the network is trained for, by name
     */
    public WakeSampler(Model model, String label, Map<String, ?> observations, int threads, int maxCategories) {
        this.model = model;
        this.label = label;
        this.observations = Map.copyOf(observations);
        this.threads = threads;
        this.maxCategories = maxCategories;
    }

    /** Runs of the prior {@link #check} draws. */
    static final int CHECK_RUNS = 32;

    /**
     * Checks, before any training, that the model takes these observations: {@link #CHECK_RUNS}
     * runs of its prior conditioned on them, which fail as an inference would (an observation given
     * no value, a value for a name no run observes), so a mistake costs seconds, not a training.
     */
    public void check(long seed) {
        Inference.importanceSampling(model).observations(observations).traces(CHECK_RUNS).seed(seed).threads(1).label(label)
                .run();
    }

    /** The observation, flattened, by name, for the training record (what {@code probe infer} checks it against). */
    com.fasterxml.jackson.databind.node.ObjectNode observationRecord() {
        com.fasterxml.jackson.databind.node.ObjectNode r = dev.probe.proposals.Artifact.newObject();
        new java.util.TreeMap<>(observations).forEach((name, value) -> {
            com.fasterxml.jackson.databind.node.ArrayNode a = r.putArray(name);
            for (double v : dev.probe.proposals.ObservationLayout.flatten(value)) {
                a.add(v);
            }
        });
        return r;
    }

    /** A run and its log importance weight. */
    record Drawn(SimulatedRun run, double logWeight) {
    }

    /**
     * {@code n} runs proposed by {@code network} as its weights are now (it must not be trained
     * while they are drawn), under {@code seed}.
     */
    List<Drawn> draw(ProposalNetwork network, int n, long seed) {
        // One run at a time on the CPU, as probe infer runs a network there: in groups, runs wait
        // for each other's steps (a round took twice as long).
        NetworkProposal proposal = new NetworkProposal(network, 0, 1, DEFENSIVE,
                network.device().isGpu() ? NetworkProposal.DEFAULT_GROUP : 1);
        List<Drawn> out = new ArrayList<>(n);
        // In parts, each part's whole traces made into training runs before the next is drawn, so
        // that a round never holds all of its runs' whole traces at once.
        for (int from = 0, part = 0; from < n; from += PART, part++) {
            int m = Math.min(PART, n - from);
            Posterior posterior = Inference.importanceSampling(model).observations(observations).proposal(proposal)
                    .keepTraces(true).traces(m).seed(seed + part).threads(threads).label(label).run();
            List<Trace> traces = posterior.traces();
            double[] logWeights = posterior.logWeights();
            for (int i = 0; i < traces.size(); i++) {
                Trace t = traces.get(i);
                out.add(new Drawn(SimulatedRun.of(t, SimulatedRun.observations(t), maxCategories), logWeights[i]));
            }
        }
        return out;
    }

    /** Runs drawn in one inference. */
    static final int PART = 10_000;
}
