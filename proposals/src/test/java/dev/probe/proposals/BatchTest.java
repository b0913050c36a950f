package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

/**
 * A packed batch scores each run as if it were alone: runs of different structures (lengths,
 * addresses, heads) batched together give the same loss as batched by structure, and as one by
 * one, to float rounding.
 */
class BatchTest {

    private static ProposalNetwork network;
    /** Runs by structure, in the order made. */
    private static final Map<String, List<Run>> BY_STRUCTURE = new LinkedHashMap<>();
    private static final List<Run> ALL = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        ObservationLayout layout = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null, new double[3],
                new double[] {1, 1, 1})));
        network = ProposalNetwork.create(ProposalNetwork.Config.defaults().withHidden(32), layout, Device.cpu(), 7);
        Random random = new Random(3);
        // A cascade-like family: a real start, a category, then 0 to 6 fractions at addresses of their own,
        // and some runs with a count and a coin at the end.
        for (int i = 0; i < 40; i++) {
            int splits = i % 7;
            boolean tail = i % 3 == 0;
            List<Choice> cs = new ArrayList<>();
            double e = 2 + random.nextDouble() * 6;
            cs.add(new Choice("energy", "Gamma", Head.TRUNCATED, new double[] {8, 4, 0, Double.POSITIVE_INFINITY}, e, (e - 8) / 4));
            int start = random.nextInt(3);
            cs.add(new Choice("start", "Categorical", Head.CATEGORICAL, new double[] {Math.log(0.5), Math.log(0.3), Math.log(0.2)},
                    start, start));
            for (int k = 0; k < splits; k++) {
                double f = 0.05 + 0.9 * random.nextDouble();
                cs.add(new Choice("shower/" + k, "Beta", Head.TRUNCATED, new double[] {0.5, 0.22, 0, 1}, f, (f - 0.5) / 0.22));
            }
            if (tail) {
                long n = random.nextInt(6);
                cs.add(new Choice("count", "Poisson", Head.POISSON, new double[] {2.5}, n, (n - 2.5) / 1.58));
                double x = random.nextGaussian();
                cs.add(new Choice("noise", "Normal", Head.NORMAL, new double[] {0, 1}, x, x));
                boolean b = random.nextBoolean();
                cs.add(new Choice("coin", "Bernoulli", Head.BERNOULLI, new double[] {0.4}, b ? 1 : 0, b ? 1 : 0));
            }
            float[] input = {(float) random.nextGaussian(), (float) random.nextGaussian(), (float) random.nextGaussian()};
            Run r = new Run(input, cs);
            ALL.add(r);
            BY_STRUCTURE.computeIfAbsent(splits + "/" + tail, s -> new ArrayList<>()).add(r);
        }
        Batch.of(ALL, network, true); // every address learned
    }

    @AfterAll
    static void tearDown() {
        network.close();
    }

    /** The summed -log q of the runs, batched as given. */
    private static double total(List<List<Run>> batches) {
        double sum = 0;
        for (List<Run> b : batches) {
            try (NDManager m = network.manager().newSubManager()) {
                sum += network.loss(Batch.of(b, network, false), m).getFloat() * b.size();
            }
        }
        return sum;
    }

    @Test
    void mixedStructuresScoreLikeBatchesOfOneStructure() {
        assertTrue(BY_STRUCTURE.size() >= 10, "the runs have " + BY_STRUCTURE.size() + " structures");
        List<Run> shuffled = new ArrayList<>(ALL);
        java.util.Collections.shuffle(shuffled, new Random(5));
        double mixed = total(List.of(shuffled));
        double byStructure = total(new ArrayList<>(BY_STRUCTURE.values()));
        List<List<Run>> single = new ArrayList<>();
        for (Run r : ALL) {
            single.add(List.of(r));
        }
        double oneByOne = total(single);
        // float32 sums over about 200 choices of a few nats each: rounding is near 1e-7 relative per term.
        assertEquals(byStructure, mixed, 1e-5 * Math.abs(byStructure), "mixed against per-structure batches");
        assertEquals(oneByOne, mixed, 1e-5 * Math.abs(oneByOne), "mixed against one run at a time");
    }

    @Test
    void aPackedBatchHasOneRowPerChoice() {
        Batch b = Batch.of(ALL, network, false);
        int choices = 0;
        int longest = 0;
        for (Run r : ALL) {
            choices += r.choices().size();
            longest = Math.max(longest, r.choices().size());
        }
        assertEquals(choices, b.choices());
        assertEquals(choices, b.rows(), "no padding rows");
        assertEquals(longest, b.steps());
        for (int t = 1; t < b.steps(); t++) {
            assertTrue(b.alive[t] <= b.alive[t - 1], "runs still going form a prefix");
        }
    }

    /** The loss of {@code runs} in one batch, with the runs' weights. */
    private static double loss(List<Run> runs) {
        try (NDManager m = network.manager().newSubManager()) {
            return network.loss(Batch.of(runs, network, false), m).getFloat();
        }
    }

    private static List<Run> weighted(java.util.function.ToDoubleBiFunction<Run, Integer> weight) {
        List<Run> out = new ArrayList<>();
        for (Run r : ALL) {
            double[] w = new double[r.choices().size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = weight.applyAsDouble(r, i);
            }
            out.add(new Run(r.input(), r.choices(), w));
        }
        return out;
    }

    @Test
    void weightsOfOneGiveTheUnweightedLossAndEachTermScalesByItsWeight() {
        double plain = loss(ALL);
        // Multiplying by 1.0f changes no float; only the summation order could, to rounding.
        assertEquals(plain, loss(weighted((r, i) -> 1)), 1e-6 * Math.abs(plain), "all-ones weights");
        // Weight 0 on every choice but those at "energy": the loss is the energy terms' alone.
        double energyOnly = loss(weighted((r, i) -> r.choices().get(i).address().equals("energy") ? 1 : 0));
        double[][] terms;
        try (NDManager m = network.manager().newSubManager()) {
            terms = network.choiceTerms(Batch.of(ALL, network, false), m);
        }
        int energyRow = network.addresses().row("energy", Head.TRUNCATED);
        double sum = 0;
        for (double[] t : terms) {
            assertEquals(1.0, t[1], "unweighted runs weigh 1");
            sum += t[0] == energyRow ? t[2] : 0;
        }
        assertEquals(sum / ALL.size(), energyOnly, 1e-5 * Math.abs(sum / ALL.size()), "weights pick the terms");
        // Doubling every weight doubles the loss.
        assertEquals(2 * plain, loss(weighted((r, i) -> 2)), 1e-5 * Math.abs(plain), "weights of 2");
    }
}
