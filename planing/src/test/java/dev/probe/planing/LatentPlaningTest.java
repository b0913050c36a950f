package dev.probe.planing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.probe.compiler.SimulatedRun;
import dev.probe.proposals.Choice;
import dev.probe.proposals.Head;

/** The planing weights of a trace dataset do what docs/planing.md says, exactly (no statistics involved). */
class LatentPlaningTest {

    /** Runs with a real latent z ~ N(0, 1), a coin c, and the observation v = z + N(0, 1) (v says much about z, nothing about c). */
    private static List<SimulatedRun> runs(int n, long seed) {
        Random random = new Random(seed);
        List<SimulatedRun> runs = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            double z = random.nextGaussian();
            int c = random.nextDouble() < 0.3 ? 1 : 0;
            double v = z + random.nextGaussian();
            runs.add(new SimulatedRun(Map.of("v", new double[] {v}), List.of(
                    new Choice("z", "Normal", Head.NORMAL, new double[] {0, 1}, z, z),
                    new Choice("c", "Bernoulli", Head.BERNOULLI, new double[] {Math.log(0.3 / 0.7)}, c, c))));
        }
        return runs;
    }

    @Test
    void everyLatentBinKeepsItsCountAndGetsTheObservationsMarginal() {
        List<SimulatedRun> raw = runs(5000, 1);
        LatentPlaning planing = LatentPlaning.bins(raw, "v", 5);
        List<SimulatedRun> planed = planing.plane(raw);
        assertEquals(5, planing.featureBins());
        assertEquals(5, planing.latentBins("z"));
        assertEquals(2, planing.latentBins("c"), "a coin gets one bin per value");
        for (String address : List.of("z", "c")) {
            double[][] before = planing.histogram(raw, address);
            double[][] after = planing.histogram(planed, address);
            double[] marginal = new double[5];
            for (double[] row : before) {
                for (int i = 0; i < 5; i++) {
                    marginal[i] += row[i] / 5000;
                }
            }
            for (int j = 0; j < before.length; j++) {
                assertTrue(before[j][0] > 0 && before[j][4] > 0, "every cell is reached here");
                // The latent's binned distribution is kept, and within its bin the observation's
                // distribution is the observation's marginal: the joint is the product of the marginals.
                assertEquals(Arrays.stream(before[j]).sum(), Arrays.stream(after[j]).sum(), 1e-9, address + " bin " + j + " keeps its count");
                for (int i = 0; i < 5; i++) {
                    assertEquals(marginal[i] * Arrays.stream(before[j]).sum(), after[j][i], 1e-9, address + " cell " + j + "," + i);
                }
            }
        }
        // Before planing, v and z go together: the lowest z bin holds mostly the lowest v bin.
        double[][] before = planing.histogram(raw, "z");
        assertTrue(before[0][0] > 5 * before[0][4], "v and z are correlated before planing");
        double total = 0;
        for (SimulatedRun r : planed) {
            total += r.weights()[0];
        }
        assertEquals(5000, total, 1e-6, "the weights of a latent's choices sum to their number");
    }

    @Test
    void aLatentBinThatMissesSomeObservationBinsGetsTheMarginalOverThoseItReaches() {
        double[][] n = {{10, 0, 5}, {3, 7, 2}};
        double[][] w = LatentPlaning.cellWeights(n);
        // h = (13, 7, 7) / 27; bin 0 reaches observation bins 0 and 2: h over those, renormalised, times its 15.
        double[] h = {13.0 / 27, 7.0 / 27, 7.0 / 27};
        assertEquals(15 * h[0] / (h[0] + h[2]), n[0][0] * w[0][0], 1e-12);
        assertEquals(0, w[0][1]);
        assertEquals(15 * h[2] / (h[0] + h[2]), n[0][2] * w[0][2], 1e-12);
        for (int i = 0; i < 3; i++) {
            assertEquals(12 * h[i], n[1][i] * w[1][i], 1e-12, "a bin reaching all gets the marginal");
        }
    }

    @Test
    void anObservationThatIsNotOneNumberIsRefusedByName() {
        List<SimulatedRun> raw = List.of(new SimulatedRun(Map.of("v", new double[] {1, 2}), List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LatentPlaning.bins(raw, "v", 4));
        assertTrue(e.getMessage().contains("'v' has 2 numbers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LatentPlaning.bins(raw, "u", 4));
        assertTrue(e.getMessage().contains("does not observe 'u'") && e.getMessage().contains("observes v"), e.getMessage());
    }
}
