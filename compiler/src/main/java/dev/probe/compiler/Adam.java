package dev.probe.compiler;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Adam (Kingma and Ba) over a network's parameter arrays, updating only the parameters a step
 * used: each keeps its own step count for the bias correction, so a head that few batches reach
 * is corrected as it should be, and unused parameters cost nothing. State lives in the
 * parameters' manager; every temporary in the step's.
 */
final class Adam {

    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;

    private final Map<String, NDArray[]> moments = new HashMap<>();
    private final Map<String, Integer> steps = new HashMap<>();

    /**
     * One update of the parameters in {@code used} with learning rate {@code lr}; gradients are
     * zeroed after. Returns false, and changes nothing, when a gradient is not finite.
     */
    boolean step(Map<String, NDArray> parameters, Set<String> used, double lr, NDManager scope) {
        Map<String, NDArray> gradients = gradients(parameters, used, scope);
        for (NDArray g : gradients.values()) {
            if (!Float.isFinite(g.sum().getFloat())) {
                zero(gradients);
                return false;
            }
        }
        for (Map.Entry<String, NDArray> e : gradients.entrySet()) {
            NDArray p = parameters.get(e.getKey());
            NDArray g = e.getValue();
            NDArray[] mv = moments.computeIfAbsent(e.getKey(), k -> new NDArray[] {p.zerosLike(), p.zerosLike()});
            int t = steps.merge(e.getKey(), 1, Integer::sum);
            NDArray m = mv[0];
            NDArray v = mv[1];
            m.muli(BETA1).addi(g.mul(1 - BETA1));
            v.muli(BETA2).addi(g.square().muli(1 - BETA2));
            double c1 = 1 - Math.pow(BETA1, t);
            double c2 = 1 - Math.pow(BETA2, t);
            NDArray denominator = v.sqrt();
            denominator.attach(scope);
            denominator.addi(EPSILON * Math.sqrt(c2));
            NDArray update = m.div(denominator);
            update.attach(scope);
            update.muli(lr * Math.sqrt(c2) / c1);
            p.subi(update);
            g.subi(g);
        }
        return true;
    }

    /** Drops the gradients of a step that is not taken (its loss was not finite). */
    void discard(Map<String, NDArray> parameters, Set<String> used, NDManager scope) {
        zero(gradients(parameters, used, scope));
    }

    private static Map<String, NDArray> gradients(Map<String, NDArray> parameters, Set<String> used, NDManager scope) {
        Map<String, NDArray> gradients = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            if (used.contains(e.getKey())) {
                NDArray g = e.getValue().getGradient();
                g.attach(scope);
                gradients.put(e.getKey(), g);
            }
        }
        return gradients;
    }

    private static void zero(Map<String, NDArray> gradients) {
        gradients.values().forEach(g -> g.subi(g));
    }

    /** The moment arrays, for closing with the network. */
    void close() {
        for (NDArray[] mv : moments.values()) {
            mv[0].close();
            mv[1].close();
        }
        moments.clear();
    }
}
