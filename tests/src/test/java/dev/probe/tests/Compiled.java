package dev.probe.tests;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import ai.djl.Device;

import dev.probe.compiler.RunSource;
import dev.probe.compiler.Trainer;
import dev.probe.compiler.TrainingOptions;
import dev.probe.proposals.NetworkProposal;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.runtime.model.Model;

/** Networks trained once per model for the tests: 10,000 runs, a 128-unit LSTM, seed 1. */
final class Compiled {

    private static final Map<String, ProposalNetwork> TRAINED = new ConcurrentHashMap<>();

    private Compiled() {
    }

    static NetworkProposal proposal(Model model) {
        return proposal(model, 0);
    }

    /** The network's proposals mixed with the prior at {@code priorMix}. */
    static NetworkProposal proposal(Model model, double priorMix) {
        return new NetworkProposal(network(model), priorMix);
    }

    /** The network's proposals for real-valued choices made {@code widen} times as wide. */
    static NetworkProposal widened(Model model, double widen) {
        return new NetworkProposal(network(model), 0, widen, 1);
    }

    /** The trained network's proposal with the share {@code share} of runs from its twice-as-wide version. */
    static NetworkProposal defensive(Model model, double share) {
        return new NetworkProposal(network(model), 0, 1, share, 1);
    }

    private static ProposalNetwork network(Model model) {
        return TRAINED.computeIfAbsent(model.identity(), k -> {
            TrainingOptions o = new TrainingOptions(10_000, 64, 1e-3, 256, 1, 2, Device.cpu(), 0, null,
                    ProposalNetwork.Config.defaults().withHidden(128), Map.of());
            return Trainer.train(RunSource.online(model, model.name(), 1, 2, 64), o, Trainer.Listener.NONE).network();
        });
    }
}
