package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
        theJavaStepIsTheNetworksStep(ProposalNetwork.Config.defaults().hidden());
    }

    /** 18 units: the step's loops of four rows at a time end with a remainder of two. */
    @Test
    void theJavaStepIsTheNetworksStepAtAWidthFourDoesNotDivide() {
        theJavaStepIsTheNetworksStep(18);
    }

    private void theJavaStepIsTheNetworksStep(int hidden) {
        ObservationLayout layout = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null, new double[4],
                new double[] {1, 1, 1, 1})));
        try (ProposalNetwork network = ProposalNetwork.create(ProposalNetwork.Config.defaults().withHidden(hidden), layout,
                Device.cpu(), 11)) {
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
     * The SIMD step ({@link VectorStep}, used where the JVM has the Vector API) makes the scalar
     * step's operations in its order, so both give the same bits: first and later steps of every
     * head, at 32 and 128 units, with states large enough to drive gates past tanh's clamp. A width
     * the vectors do not divide steps in scalars.
     */
    @Test
    void theVectorStepGivesTheScalarStepsBits() {
        assumeTrue(StepKernel.VECTOR_AVAILABLE, "the JVM lacks --add-modules jdk.incubator.vector");
        ObservationLayout layout = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null, new double[4],
                new double[] {1, 1, 1, 1})));
        ProposalNetwork.Config d = ProposalNetwork.Config.defaults();
        for (int hidden : new int[] {32, 128, 18}) {
            ProposalNetwork.Config config = new ProposalNetwork.Config(d.observationEmbedding(), d.addressEmbedding(),
                    d.kindEmbedding(), d.valueEmbedding(), hidden, d.maxAddresses(), d.maxCategories());
            try (ProposalNetwork network = ProposalNetwork.create(config, layout, Device.cpu(), 5)) {
                Random random = new Random(3);
                List<Choice> choices = new ArrayList<>();
                for (int a = 0; a < 30; a++) {
                    choices.add(choice("site/" + a, HEADS[a % HEADS.length], random));
                }
                Batch.of(List.of(new Run(new float[4], choices)), network, true);
                StepKernel vector = new StepKernel(network, true);
                StepKernel scalar = new StepKernel(network, false);
                assertEquals(hidden != 18, vector.vectorised(), hidden + " units");
                float[] gates = vector.observationGates(network.embed(new float[] {0.3f, -1.2f, 0.7f, 2.0f}));
                for (int i = 0; i < 200; i++) {
                    boolean first = i % 4 == 0;
                    int row = 1 + random.nextInt(30);
                    Head head = HEADS[(row - 1) % HEADS.length];
                    int kind = ProposalNetwork.kindIndex(choices.get(row - 1).kind());
                    double spread = i % 3 == 0 ? 20 : 1;
                    float[] h = first ? null : gaussians(hidden, spread, random);
                    float[] c = first ? null : gaussians(hidden, spread, random);
                    int previous = first ? 0 : 1 + random.nextInt(30);
                    int previousKind = first ? 0 : random.nextInt(ProposalNetwork.KINDS.size() + 1);
                    float feature = first ? 0 : (float) random.nextGaussian();
                    float[][] v = stepInto(vector, gates, h, c, row, kind, previous, previousKind, feature, head);
                    float[][] s = stepInto(scalar, gates, h, c, row, kind, previous, previousKind, feature, head);
                    for (int part = 0; part < 3; part++) {
                        assertArrayEquals(s[part], v[part], hidden + " units, step " + i + ", part " + part);
                    }
                }
            }
        }
    }

    /**
     * A saved network used by the Java step never makes its parameters on the device (PyTorch's
     * native library is what makes ic's start-up slow): its observation embedding is computed in
     * Java, to float rounding of the native one, and its step kernel reads the weights as given.
     */
    @Test
    void aSavedNetworkEmbedsItsObservationsInJavaWithoutTheNativeLibrary() {
        ObservationLayout layout = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null, new double[4],
                new double[] {1, 1, 1, 1})));
        try (ProposalNetwork trained = ProposalNetwork.create(ProposalNetwork.Config.defaults(), layout, Device.cpu(), 7)) {
            Random random = new Random(4);
            List<Choice> choices = new ArrayList<>();
            for (int a = 0; a < 6; a++) {
                choices.add(choice("site/" + a, HEADS[a % HEADS.length], random));
            }
            Batch.of(List.of(new Run(new float[4], choices)), trained, true);
            try (ProposalNetwork saved = ProposalNetwork.of(trained.config(), layout, trained.addresses(), Device.cpu(),
                    trained.weights())) {
                for (int i = 0; i < 20; i++) {
                    float[] input = gaussians(4, 2, random);
                    assertClose(trained.embed(input), saved.embed(input), "the Java embedding of input " + i);
                }
                StepKernel kernel = new StepKernel(saved);
                assertEquals(saved.config().hidden(), kernel.hidden());
                assertFalse(saved.materialised(), "the saved network made its parameters on the device");
                // Anything that needs the device still gets it.
                assertEquals(trained.size(), saved.size());
                assertEquals(trained.parameters().keySet(), saved.parameters().keySet());
                assertTrue(saved.materialised());
            }
        }
    }

    /** A step into fresh arrays, through the kernel's buffer-writing step: {h, c, padded outputs}. */
    private static float[][] stepInto(StepKernel k, float[] gates, float[] h, float[] c, int row, int kind, int previous,
            int previousKind, float feature, Head head) {
        float[] h2 = new float[k.hidden()];
        float[] c2 = new float[k.hidden()];
        float[] out = k.outputs(head);
        k.step(gates, k.scratch(), h, c, row, kind, previous, previousKind, feature, head, h2, c2, out);
        return new float[][] {h2, c2, out};
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
