package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

/**
 * The Java training pass against autograd: the same loss and the same gradient for every weight,
 * to float rounding, on a batch of every head and structure, weighted, under both recurrences.
 */
class BackpropTest {

    private static final String SITE = "shower@14:18";
    private static final String LEFT = "shower@17:10";
    private static final String RIGHT = "shower@18:10";
    private static final String MAIN = "main@24:17";

    /** Runs like a recursive simulator's: a real start, a category, a shower of fractions along a call tree, a tail. */
    private static List<Run> runs(int n, long seed) {
        Random random = new Random(seed);
        List<Run> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Choice> cs = new ArrayList<>();
            if (i % 8 == 7) {
                // A run without a scored choice (it still takes a row at the first step), and one that
                // starts inside the shower: its right fraction's frame is not enclosed by the left's,
                // so that choice continues from the zero cell state at its second step.
                out.add(new Run(new float[] {(float) random.nextGaussian(), 0f, 1f}, List.of()));
                double f = 0.05 + 0.9 * random.nextDouble();
                cs.add(new Choice(SITE + "/" + LEFT + "/" + MAIN + "#Beta", "Beta", Head.TRUNCATED, new double[] {0.5, 0.22, 0, 1},
                        f, (f - 0.5) / 0.22));
                cs.add(new Choice(SITE + "/" + RIGHT + "/" + MAIN + "#Beta", "Beta", Head.TRUNCATED, new double[] {0.5, 0.22, 0,
                    1}, 1 - f, (0.5 - f) / 0.22));
                out.add(new Run(new float[] {(float) random.nextGaussian(), 1f, 0f}, cs));
                continue;
            }
            double e = 2 + random.nextDouble() * 6;
            cs.add(new Choice("main@22:14#Gamma", "Gamma", Head.TRUNCATED, new double[] {8, 4, 0, Double.POSITIVE_INFINITY}, e,
                    (e - 8) / 4));
            int start = random.nextInt(3);
            cs.add(new Choice("main@23:9#Categorical", "Categorical", Head.CATEGORICAL, new double[] {Math.log(0.5),
                Math.log(0.3), Math.log(0.2)}, start, start));
            shower(MAIN, 0, cs, random);
            if (i % 2 == 0) {
                long k = random.nextInt(6);
                cs.add(new Choice("main@30:5#Poisson", "Poisson", Head.POISSON, new double[] {2.5}, k, (k - 2.5) / 1.58));
                double x = random.nextGaussian();
                cs.add(new Choice("main@31:5#Normal", "Normal", Head.NORMAL, new double[] {0, 1}, x, x));
                double u = 4 - random.nextDouble() * 3;
                cs.add(new Choice("main@32:5#TruncatedNormal", "TruncatedNormal", Head.TRUNCATED, new double[] {3, 1,
                    Double.NEGATIVE_INFINITY, 4}, u, u - 3));
                boolean b = random.nextBoolean();
                cs.add(new Choice("main@33:5#Bernoulli", "Bernoulli", Head.BERNOULLI, new double[] {0.4}, b ? 1 : 0, b ? 1 : 0));
                long m = random.nextInt(11);
                cs.add(new Choice("main@34:5#Binomial", "Binomial", Head.BINOMIAL, new double[] {10, -0.3}, m, (m - 4) / 1.5));
            }
            double[] weights = new double[cs.size()];
            for (int j = 0; j < weights.length; j++) {
                weights[j] = 0.5 + random.nextDouble();
            }
            float[] input = {(float) random.nextGaussian(), (float) random.nextGaussian(), (float) random.nextGaussian()};
            out.add(new Run(input, cs, i % 3 == 0 ? null : weights));
        }
        return out;
    }

    private static void shower(String chain, int depth, List<Choice> cs, Random random) {
        if (depth >= 3 || random.nextDouble() < 0.3) {
            return;
        }
        double f = 0.05 + 0.9 * random.nextDouble();
        cs.add(new Choice(SITE + "/" + chain + "#Beta", "Beta", Head.TRUNCATED, new double[] {0.5, 0.22, 0, 1}, f,
                (f - 0.5) / 0.22));
        shower(LEFT + "/" + chain, depth + 1, cs, random);
        shower(RIGHT + "/" + chain, depth + 1, cs, random);
    }

    /** Two networks with the same weights: one for the Java pass, one for autograd. */
    private static ProposalNetwork[] twins(boolean callTree) {
        ObservationLayout layout = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null, new double[3],
                new double[] {1, 1, 1})));
        ProposalNetwork.Config config = new ProposalNetwork.Config(16, 8, 4, 4, 12, 64, 8, callTree);
        ProposalNetwork seed = ProposalNetwork.create(config, layout, Device.cpu(), 11);
        Map<String, float[]> w = seed.weights();
        // Heads ten times as strong as at the start of training: mixtures far from uniform.
        w.forEach((name, v) -> {
            if (name.startsWith("head.")) {
                for (int i = 0; i < v.length; i++) {
                    v[i] *= 10;
                }
            }
        });
        // Outputs past the clips and thresholds: Poisson rate offsets beyond +-5 (no gradient), a
        // softplus input above 20 (taken as it is, slope 1) for a scale and a one-sided location.
        int k = Head.MIXTURE;
        w.get("head.poisson.bias")[Head.POISSONS] = 7;
        w.get("head.poisson.bias")[Head.POISSONS + 1] = -7;
        w.get("head.normal.bias")[2 * k] = 25;
        w.get("head.truncated.bias")[2 * k + 1] = 25;
        w.get("head.truncated.bias")[k + 2] = 22;
        ProposalNetwork java = ProposalNetwork.of(config, layout, seed.addresses(), Device.cpu(), w);
        ProposalNetwork nativeNet = ProposalNetwork.of(config, layout, seed.addresses(), Device.cpu(), w);
        return new ProposalNetwork[] {java, nativeNet};
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void lossAndGradientAgreeWithAutograd(boolean callTree) {
        ProposalNetwork[] nets = twins(callTree);
        try (ProposalNetwork java = nets[0]; ProposalNetwork nativeNet = nets[1]) {
            List<Run> runs = runs(24, 5);
            Batch batch = Batch.of(runs, java, true);
            assertEquals(Head.values().length, batch.heads.size(), "every head in the batch");
            assertTrue(batch.weighted);
            if (callTree) {
                boolean branches = false;
                boolean orphans = false;
                for (int t = 1; t < batch.steps; t++) {
                    for (int j = 0; j < batch.alive[t]; j++) {
                        branches |= batch.parentRow[batch.offset[t] + j] != batch.offset[t - 1] + j;
                        orphans |= batch.parentRow[batch.offset[t] + j] < 0;
                    }
                }
                assertTrue(branches, "some choice continues from a parent other than the choice before it");
                assertTrue(orphans, "some later choice has no parent: it continues from the zero state");
            }
            Backprop pass = new Backprop(java);
            double loss = pass.lossAndGradient(batch);
            Map<String, float[]> ours = new LinkedHashMap<>();
            pass.gradients().forEach((k, v) -> ours.put(k, v.clone()));

            Map<String, NDArray> params = nativeNet.parameters();
            params.values().forEach(p -> p.setRequiresGradient(true));
            double expected;
            Map<String, float[]> theirs = new LinkedHashMap<>();
            try (NDManager m = nativeNet.manager().newSubManager()) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = nativeNet.loss(batch, m);
                    gc.backward(l);
                    expected = l.getFloat();
                }
                params.forEach((k, p) -> theirs.put(k, p.getGradient().toFloatArray()));
            }
            // float32 sums of ~400 terms of a few nats: relative rounding near 1e-6.
            assertEquals(expected, loss, 1e-5 * Math.abs(expected), "loss");
            // Gradients through a dozen float32 steps (and the inference step's tanh, within 7 ulps):
            // each parameter's gradient within 1e-4 of its norm, elementwise worst case.
            for (Map.Entry<String, float[]> e : theirs.entrySet()) {
                float[] a = e.getValue();
                float[] b = ours.get(e.getKey());
                double norm = 0;
                double worst = 0;
                for (int i = 0; i < a.length; i++) {
                    norm += (double) a[i] * a[i];
                    worst = Math.max(worst, Math.abs(a[i] - b[i]));
                }
                norm = Math.sqrt(norm);
                assertTrue(worst <= 1e-4 * norm + 1e-9, e.getKey() + ": differs by " + worst + " against a gradient of norm "
                        + norm);
            }
            for (String name : List.of("lstm.ih.weight", "lstm.hh.weight", "obs.fc1.weight", "embed.value.weight",
                    "head.truncated.weight", "head.binomial.bias")) {
                float[] g = ours.get(name);
                double norm = 0;
                for (float v : g) {
                    norm += v * v;
                }
                assertTrue(norm > 0, name + " has a gradient");
            }
            // The forward pass alone gives the same loss, and the same bits twice, also after a
            // smaller training batch and a forward pass over another batch in between (the
            // workspace is kept from pass to pass).
            assertEquals(loss, pass.loss(batch));
            pass.lossAndGradient(Batch.of(runs.subList(0, 5), java, false));
            pass.loss(Batch.of(runs(40, 9), java, false));
            assertEquals(loss, pass.lossAndGradient(batch));
            for (Map.Entry<String, float[]> e : ours.entrySet()) {
                assertArrayEquals(e.getValue(), pass.gradients().get(e.getKey()), e.getKey());
            }
        }
    }

    @Test
    void aNetworkWithNativeParametersIsRefused() {
        ProposalNetwork[] nets = twins(false);
        try (ProposalNetwork a = nets[0]; ProposalNetwork b = nets[1]) {
            b.parameters();
            assertTrue(Backprop.supports(a));
            assertTrue(!Backprop.supports(b));
            assertThrows(IllegalArgumentException.class, () -> new Backprop(b));
        }
    }
}
