package dev.probe.compiler;

import java.nio.file.Path;
import java.util.Map;

import ai.djl.Device;

import dev.probe.runtime.InvalidSettingException;

import dev.probe.proposals.ProposalNetwork;

/**
 * How to train a proposal network.
 *
 * @param traces          training runs to learn from (online: simulated; offline: passes over the dataset)
 * @param batchSize       runs per optimiser step
 * @param learningRate    Adam's initial learning rate; a cosine schedule takes it to 5% by the end
 * @param validationSize  runs in the fixed validation set (simulated apart from the training runs)
 * @param seed            fixes the weights' initialisation, the simulated runs and their order
 * @param threads         threads simulating runs (never changes the result)
 * @param device          where the network lives
 * @param checkpointEvery save the artifact every this many training runs (0: only at the end)
 * @param out             the artifact directory (null: do not save)
 * @param network         the network's sizes
 * @param images          observations to embed with a CNN, by name, with their grid shape
 */
public record TrainingOptions(long traces, int batchSize, double learningRate, int validationSize, long seed, int threads,
        Device device, long checkpointEvery, Path out, ProposalNetwork.Config network, Map<String, int[]> images) {

    /** Defaults: batch 64, learning rate 1e-3, 256 validation runs, pyprob-sized network, CPU. */
    public static TrainingOptions defaults(long traces, long seed) {
        return new TrainingOptions(traces, 64, 1e-3, 256, seed, Runtime.getRuntime().availableProcessors(), Device.cpu(), 0,
                null, ProposalNetwork.Config.defaults(), Map.of());
    }

    public TrainingOptions {
        if (traces <= 0) {
            throw new InvalidSettingException("traces", "must be positive, got " + traces);
        }
        if (batchSize <= 0) {
            throw new InvalidSettingException("batchSize", "must be positive, got " + batchSize);
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new InvalidSettingException("learningRate", "must be a positive number, got " + learningRate);
        }
        if (validationSize <= 0) {
            throw new InvalidSettingException("validationSize", "must be positive, got " + validationSize);
        }
        if (threads <= 0) {
            throw new InvalidSettingException("threads", "must be positive, got " + threads);
        }
        if (checkpointEvery < 0) {
            throw new InvalidSettingException("checkpointEvery", "must not be negative, got " + checkpointEvery);
        }
        images = Map.copyOf(images);
    }

    public TrainingOptions withOut(Path dir) {
        return new TrainingOptions(traces, batchSize, learningRate, validationSize, seed, threads, device, checkpointEvery, dir,
                network, images);
    }
}
