package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.Device;

/**
 * ic's step in Java ({@link StepKernel}) is the network's step: for a pass mixing first and later
 * steps of every head at many addresses, it gives the state and head outputs of
 * {@link ProposalNetwork#steps} (one native pass per kind of step, and one step at a time) to
 * float rounding.
 */
class StepKernelTest {

    private static final Head[] HEADS = {Head.TRUNCATED, Head.NORMAL, Head.CATEGORICAL, Head.POISSON, Head.BERNOULLI,
        Head.BINOMIAL};

    @Test
    void theJavaStepIsTheNetworksStep() {
        ObservationLayout layout = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null, new double[4],
                new double[] {1, 1, 1, 1})));
        try (ProposalNetwork network = ProposalNetwork.create(ProposalNetwork.Config.defaults(), layout, Device.cpu(), 11)) {
            Random random = new Random(2);
            // Addresses learned through a batch, as training learns them: 30 addresses, heads in turn.
            List<Choice> choices = new ArrayList<>();
            for (int a = 0; a < 30; a++) {
                Head head = HEADS[a % HEADS.length];
                choices.add(choice("site/" + a, head, random));
            }
            Batch.of(List.of(new Run(new float[4], choices)), network, true);
            StepKernel kernel = new StepKernel(network);
            float[] embedding = network.embed(new float[] {0.3f, -1.2f, 0.7f, 2.0f});
            float[] gates = kernel.observationGates(embedding);
            int hd = network.config().hidden();
            for (boolean first : new boolean[] {true, false}) {
                List<ProposalNetwork.Step> steps = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    int row = 1 + random.nextInt(30);
                    Head head = HEADS[(row - 1) % HEADS.length];
                    int kind = ProposalNetwork.kindIndex(choices.get(row - 1).kind());
                    float[] h = first ? null : gaussians(hd, 0.5, random);
                    float[] c = first ? null : gaussians(hd, 1.0, random);
                    int previous = first ? 0 : 1 + random.nextInt(30);
                    int previousKind = first ? 0 : random.nextInt(ProposalNetwork.KINDS.size() + 1);
                    float feature = first ? 0 : (float) random.nextGaussian();
                    steps.add(new ProposalNetwork.Step(embedding, h, c, row, kind, previous, previousKind, feature, head));
                }
                float[][][] batched = network.steps(steps);
                for (int i = 0; i < steps.size(); i++) {
                    ProposalNetwork.Step s = steps.get(i);
                    float[][] alone = network.steps(List.of(s))[0];
                    float[][] java = kernel.step(gates, kernel.scratch(), s.h(), s.c(), s.row(), s.kind(), s.previousRow(), s.previousKind(),
                            s.previousFeature(), s.head());
                    for (int part = 0; part < 3; part++) {
                        // Float32 sums of about 200 products of unit size: rounding near 1e-6 each, so 1e-4 is
                        // rounding, while a wrong weight or gate moves values by 1e-2 or more.
                        assertClose(batched[i][part], alone[part], "a batch of mixed steps against one step, step " + i);
                        assertClose(batched[i][part], java[part], "the Java step against the network's, step " + i
                                + (first ? " (first)" : ""));
                    }
                }
            }
        }
    }

    /**
     * The gates' tanh (float arithmetic, so that it vectorises) is tanh to float rounding: within 8
     * float ulps of the exact value on a fine grid over [-12, 12] and near 0, exactly +-1 beyond the
     * clamp, and odd. A wrong coefficient of the continued fraction moves it by far more.
     */
    @Test
    void theGatesTanhIsTanhToFloatRounding() {
        for (int i = -1_200_000; i <= 1_200_000; i++) {
            float x = i * 1e-5f;
            double exact = Math.tanh(x);
            float ulp = Math.ulp((float) exact);
            float got = StepKernel.tanh(x);
            assertEquals(exact, got, 8 * Math.max(ulp, Float.MIN_NORMAL), "tanh(" + x + ")");
            assertEquals(-got, StepKernel.tanh(-x), 0, "tanh is odd at " + x);
        }
        for (float x : new float[] {1e-30f, 1e-8f, 3e-4f}) {
            assertEquals(x, StepKernel.tanh(x), 2 * Math.ulp(x), "tanh(" + x + ")");
        }
        assertEquals(1f, StepKernel.tanh(50f), 0);
        assertEquals(-1f, StepKernel.tanh(Float.NEGATIVE_INFINITY), 0);
    }

    private static Choice choice(String address, Head head, Random random) {
        return switch (head) {
            case TRUNCATED -> new Choice(address, "Beta", head, new double[] {0.5, 0.22, 0, 1}, 0.4, -0.45);
            case NORMAL -> new Choice(address, "Normal", head, new double[] {0, 1}, 0.3, 0.3);
            case CATEGORICAL -> new Choice(address, "Categorical", head, new double[] {Math.log(0.5), Math.log(0.3),
                Math.log(0.2)}, 1, 1);
            case POISSON -> new Choice(address, "Poisson", head, new double[] {2.5}, 2, -0.3);
            case BERNOULLI -> new Choice(address, "Bernoulli", head, new double[] {0.4}, 1, 1);
            case BINOMIAL -> new Choice(address, "Binomial", head, new double[] {5, 0}, 2, 0.1);
        };
    }

    private static float[] gaussians(int n, double sd, Random random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * sd);
        }
        return v;
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int j = 0; j < expected.length; j++) {
            assertEquals(expected[j], actual[j], 1e-4 * Math.max(1, Math.abs(expected[j])), what + ", element " + j);
        }
    }
}
