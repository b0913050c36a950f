package dev.probe.proposals;

import java.util.List;

/**
 * One simulated run as training data: its observations as the network's standardised input and
 * its controlled choices in order.
 *
 * @param input   the observations, standardised ({@link ObservationLayout#input})
 * @param choices the controlled choices a head can propose, in the order made
 */
public record Run(float[] input, List<Choice> choices) {
}
