package dev.probe.proposals;

import java.util.List;

/**
 * One simulated run as training data: its observations as the network's standardised input, its
 * controlled choices in order and, for a weighted loss, each choice's weight.
 *
 * @param input   the observations, standardised ({@link ObservationLayout#input})
 * @param choices the controlled choices a head can propose, in the order made
 * @param weights each choice's weight in the loss, in the choices' order; null weighs every one 1
 */
public record Run(float[] input, List<Choice> choices, double[] weights) {

    public Run {
        if (weights != null && weights.length != choices.size()) {
            throw new IllegalArgumentException("a run has " + choices.size() + " choices but " + weights.length + " weights");
        }
    }

    /** A run whose choices all weigh 1. */
    public Run(float[] input, List<Choice> choices) {
        this(input, choices, null);
    }

    /** The weight of choice {@code i} in the loss. */
    public double weight(int i) {
        return weights == null ? 1 : weights[i];
    }
}
