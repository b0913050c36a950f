package dev.probe.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Adam over Java arrays: Kingma and Ba's update, the native {@link Adam}'s to float rounding,
 * per-parameter step counts, nothing changed by a non-finite gradient.
 */
class ArrayAdamTest {

    @Test
    void updatesFollowAdamWithEachParameterCountingItsOwnSteps() {
        float[] a = {1f, -2f, 0.5f};
        float[] b = {3f};
        Map<String, float[]> params = new LinkedHashMap<>();
        params.put("a", a);
        params.put("b", b);
        ArrayAdam adam = new ArrayAdam();
        double[] ea = {1, -2, 0.5};
        double[] ma = new double[3];
        double[] va = new double[3];
        double eb = 3;
        double mb = 0;
        double vb = 0;
        int tb = 0;
        for (int t = 1; t <= 5; t++) {
            double[] ga = {0.1 * t, -0.3, 2.0 / t};
            double gb = -0.7 * t;
            boolean withB = t % 2 == 1; // b is used at steps 1, 3 and 5 only
            Map<String, float[]> grads = new LinkedHashMap<>();
            grads.put("a", new float[] {(float) ga[0], (float) ga[1], (float) ga[2]});
            grads.put("b", new float[] {(float) gb});
            assertTrue(adam.step(params, grads, withB ? Set.of("a", "b") : Set.of("a"), 0.01));
            for (int i = 0; i < 3; i++) {
                ma[i] = 0.9 * ma[i] + 0.1 * (float) ga[i];
                va[i] = 0.999 * va[i] + 0.001 * (float) ga[i] * (float) ga[i];
                ea[i] -= 0.01 * (ma[i] / (1 - Math.pow(0.9, t))) / (Math.sqrt(va[i] / (1 - Math.pow(0.999, t))) + 1e-8);
            }
            if (withB) {
                tb++;
                mb = 0.9 * mb + 0.1 * (float) gb;
                vb = 0.999 * vb + 0.001 * (float) gb * (float) gb;
                eb -= 0.01 * (mb / (1 - Math.pow(0.9, tb))) / (Math.sqrt(vb / (1 - Math.pow(0.999, tb))) + 1e-8);
            }
        }
        // float arithmetic against double over five steps of size ~0.01: within 1e-6.
        for (int i = 0; i < 3; i++) {
            assertEquals(ea[i], a[i], 1e-6, "a[" + i + "]");
        }
        assertEquals(eb, b[0], 1e-6, "b, three steps of its own");
    }

    /** The native Adam on the same gradients, through autograd: sum(p * g) has gradient g. */
    @Test
    void agreesWithTheNativeAdam() {
        float[] start = {1f, -2f, 0.5f, 3f, -0.25f};
        float[][] gradients = {{0.1f, -0.3f, 2f, 1e-4f, -5f}, {0.2f, -0.3f, 1f, -1e-4f, 4f}, {-0.3f, 0.6f, 0.5f, 2e-4f, -3f}};
        float[] ours = start.clone();
        ArrayAdam adam = new ArrayAdam();
        Adam nativeAdam = new Adam();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(ai.djl.Device.cpu())) {
            ai.djl.ndarray.NDArray p = m.create(start.clone());
            p.setRequiresGradient(true);
            for (float[] g : gradients) {
                assertTrue(adam.step(Map.of("p", ours), Map.of("p", g), Set.of("p"), 0.01));
                try (ai.djl.ndarray.NDManager scope = m.newSubManager()) {
                    try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                        gc.backward(p.mul(scope.create(g)).sum());
                    }
                    assertTrue(nativeAdam.step(Map.of("p", p), Set.of("p"), 0.01, scope));
                }
            }
            float[] theirs = p.toFloatArray();
            // The same float operations in the same order but for the library's own rounding of its
            // scalars: within a few ulps of the weights (about 1e-7 relative).
            for (int i = 0; i < start.length; i++) {
                assertEquals(theirs[i], ours[i], 1e-6 * Math.abs(theirs[i]), "p[" + i + "]");
            }
        } finally {
            nativeAdam.close();
        }
    }

    @Test
    void aNonFiniteGradientChangesNothing() {
        float[] a = {1f, 2f};
        Map<String, float[]> params = Map.of("a", a);
        ArrayAdam adam = new ArrayAdam();
        assertFalse(adam.step(params, Map.of("a", new float[] {0.5f, Float.NaN}), Set.of("a"), 0.01));
        assertFalse(adam.step(params, Map.of("a", new float[] {Float.POSITIVE_INFINITY, 0f}), Set.of("a"), 0.01));
        assertArrayEquals(new float[] {1f, 2f}, a);
        // The refused steps did not count: the next one is a first step, of size lr in each coordinate.
        assertTrue(adam.step(params, Map.of("a", new float[] {0.5f, -0.25f}), Set.of("a"), 0.01));
        assertEquals(0.99f, a[0], 1e-6);
        assertEquals(2.01f, a[1], 1e-6);
    }
}
