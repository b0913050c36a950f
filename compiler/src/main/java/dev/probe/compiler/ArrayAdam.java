package dev.probe.compiler;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@link Adam} over Java arrays, for the Java training pass ({@link dev.probe.proposals.Backprop}):
 * the same update in the same float arithmetic, only the parameters a step used, each with its
 * own step count for the bias correction.
 */
final class ArrayAdam {

    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;
    private static final float DECAY1 = (float) BETA1;
    private static final float DECAY2 = (float) BETA2;
    private static final float SHARE1 = (float) (1 - BETA1);
    private static final float SHARE2 = (float) (1 - BETA2);

    private final Map<String, float[][]> moments = new HashMap<>();
    private final Map<String, Integer> steps = new HashMap<>();

    /**
     * One update of the parameters in {@code used} with learning rate {@code lr}. Returns false,
     * and changes nothing, when a gradient is not finite.
     */
    boolean step(Map<String, float[]> parameters, Map<String, float[]> gradients, Set<String> used, double lr) {
        for (String name : used) {
            for (float g : gradients.get(name)) {
                if (!Float.isFinite(g)) {
                    return false;
                }
            }
        }
        for (Map.Entry<String, float[]> e : parameters.entrySet()) {
            if (!used.contains(e.getKey())) {
                continue;
            }
            float[] p = e.getValue();
            float[] g = gradients.get(e.getKey());
            float[][] mv = moments.computeIfAbsent(e.getKey(), k -> new float[][] {new float[p.length], new float[p.length]});
            int t = steps.merge(e.getKey(), 1, Integer::sum);
            float[] m = mv[0];
            float[] v = mv[1];
            double c1 = 1 - Math.pow(BETA1, t);
            double c2 = 1 - Math.pow(BETA2, t);
            float epsilon = (float) (EPSILON * Math.sqrt(c2));
            float rate = (float) (lr * Math.sqrt(c2) / c1);
            for (int i = 0; i < p.length; i++) {
                float gi = g[i];
                float mi = m[i] * DECAY1 + gi * SHARE1;
                float vi = v[i] * DECAY2 + gi * gi * SHARE2;
                m[i] = mi;
                v[i] = vi;
                p[i] -= mi / ((float) Math.sqrt(vi) + epsilon) * rate;
            }
        }
        return true;
    }
}
