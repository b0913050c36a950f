package dev.probe.compiler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.probe.proposals.Choice;
import dev.probe.proposals.ObservationLayout;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * One run from the prior as training data, before it is fitted to a network: the values of its
 * named observations (flattened, instances one after another) and its controlled choices that a
 * head can propose. A trace dataset stores exactly this (weights are not stored).
 *
 * @param observations flattened values by observation name, in the order first met
 * @param choices      the controlled choices, in order
 * @param weights      each choice's weight in the training and validation loss (planing); null weighs every one 1
 */
public record SimulatedRun(Map<String, double[]> observations, List<Choice> choices, double[] weights) {

    public SimulatedRun {
        if (weights != null && weights.length != choices.size()) {
            throw new IllegalArgumentException("a run has " + choices.size() + " choices but " + weights.length + " weights");
        }
    }

    /** A run whose choices all weigh 1. */
    public SimulatedRun(Map<String, double[]> observations, List<Choice> choices) {
        this(observations, choices, null);
    }

    /** This run with its choices weighted by {@code w} (null: all 1). */
    public SimulatedRun withWeights(double[] w) {
        return new SimulatedRun(observations, choices, w);
    }

    /** The training view of a trace. */
    static SimulatedRun of(Trace trace, int maxCategories) {
        return of(trace, observations(trace), maxCategories);
    }

    /** The training view of a trace whose {@link #observations(Trace)} are already read. */
    static SimulatedRun of(Trace trace, Map<String, double[]> observations, int maxCategories) {
        List<Choice> choices = new ArrayList<>();
        for (int i = 0; i < trace.size(); i++) {
            Variable v = trace.get(i);
            if (v.role() == Variable.Role.SAMPLE && v.controlled()) {
                Choice c = Choice.of(v.address().key(), v.distribution(), v.value(), maxCategories);
                if (c != null) {
                    choices.add(c);
                }
            }
        }
        return new SimulatedRun(observations, choices);
    }

    /** A trace's named observations, flattened, instances one after another, in the order first met. */
    static Map<String, double[]> observations(Trace trace) {
        Map<String, List<double[]>> obs = new LinkedHashMap<>();
        for (int i = 0; i < trace.size(); i++) {
            Variable v = trace.get(i);
            if (v.role() == Variable.Role.OBSERVE && v.name() != null) {
                obs.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(ObservationLayout.flatten(v.value()));
            }
        }
        Map<String, double[]> flat = new LinkedHashMap<>();
        obs.forEach((name, parts) -> {
            if (parts.size() == 1) {
                flat.put(name, parts.get(0));
                return;
            }
            int n = 0;
            for (double[] p : parts) {
                n += p.length;
            }
            double[] all = new double[n];
            int at = 0;
            for (double[] p : parts) {
                System.arraycopy(p, 0, all, at, p.length);
                at += p.length;
            }
            flat.put(name, all);
        });
        return flat;
    }
}
