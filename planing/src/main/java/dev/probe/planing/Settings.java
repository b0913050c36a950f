package dev.probe.planing;

import java.util.Arrays;

/**
 * How a planing study trains and measures.
 *
 * @param hidden       the deep classifier's hidden layers (ReLU), widths in order
 * @param batchSize    events per Adam step
 * @param linearRate   Adam's learning rate for logistic regression
 * @param deepRate     Adam's learning rate for the MLP
 * @param maxEpochs    passes over the training split at most
 * @param patience     epochs without a lower validation loss after which training stops
 * @param bins         bins per planed variable (0: {@link Planing#defaultBins})
 * @param bootstrap    bootstrap replicas for the AUC's error
 */
public record Settings(int[] hidden, int batchSize, double linearRate, double deepRate, int maxEpochs, int patience, int bins,
        int bootstrap) {

    /** Fractions of each class's events for training and validation; the rest is held out for the AUC. */
    public static final double TRAIN = 0.6;
    public static final double VALIDATION = 0.2;

    /** An MLP of two hidden layers of 64, batch 256, rates 0.01 and 0.001, at most 100 epochs, patience 8, 200 replicas. */
    public static Settings defaults() {
        return new Settings(new int[] {64, 64}, 256, 0.01, 0.001, 100, 8, 0, 200);
    }

    public Settings {
        hidden = hidden.clone();
        if (hidden.length == 0 || Arrays.stream(hidden).anyMatch(h -> h <= 0)) {
            throw new IllegalArgumentException("--hidden needs one or more positive layer widths, got " + Arrays.toString(hidden));
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        }
        if (!(linearRate > 0) || !(deepRate > 0) || !Double.isFinite(linearRate) || !Double.isFinite(deepRate)) {
            throw new IllegalArgumentException("learning rates must be positive numbers");
        }
        if (maxEpochs <= 0) {
            throw new IllegalArgumentException("--epochs must be positive, got " + maxEpochs);
        }
        if (patience <= 0) {
            throw new IllegalArgumentException("--patience must be positive, got " + patience);
        }
        if (bins < 0 || bins == 1) {
            throw new IllegalArgumentException("--bins must be at least 2 (or 0 for the default), got " + bins);
        }
        if (bootstrap < 2) {
            throw new IllegalArgumentException("--bootstrap needs at least 2 replicas, got " + bootstrap);
        }
    }

    @Override
    public int[] hidden() {
        return hidden.clone();
    }

    /** The deep classifier in words, e.g. "MLP 64-64 (ReLU)". */
    public String deepName() {
        StringBuilder b = new StringBuilder("MLP ");
        for (int i = 0; i < hidden.length; i++) {
            b.append(i == 0 ? "" : "-").append(hidden[i]);
        }
        return b.append(" (ReLU)").toString();
    }

    public Settings withEpochs(int epochs) {
        return new Settings(hidden, batchSize, linearRate, deepRate, epochs, patience, bins, bootstrap);
    }
}
