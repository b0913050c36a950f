package dev.probe.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.junit.jupiter.api.Test;

class C2stTest {

    @Test
    void twoSamplesOfOneDistributionAreIndistinguishable() {
        // 1,000 held-out predictions in all: the accuracy's sd is sqrt(0.25 / 1000) = 0.016 under
        // indistinguishability; 4 sd = 0.064, and overfitting can only pull towards chance.
        double acc = C2st.accuracy(gaussian(500, 0, 21), gaussian(500, 0, 22), 1);
        assertEquals(0.5, acc, 0.064);
    }

    @Test
    void disjointSamplesAreToldApart() {
        double acc = C2st.accuracy(gaussian(500, 0, 23), gaussian(500, 10, 24), 1);
        assertTrue(acc > 0.99, "accuracy " + acc);
    }

    @Test
    void theSameSeedGivesTheSameAccuracy() {
        double[][] a = gaussian(100, 0, 25);
        double[][] b = gaussian(100, 1, 26);
        assertEquals(C2st.accuracy(a, b, 9), C2st.accuracy(a, b, 9));
    }

    private static double[][] gaussian(int n, double shift, long seed) {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(seed, 3);
        ZigguratSampler.NormalizedGaussian normal = ZigguratSampler.NormalizedGaussian.of(rng);
        double[][] x = new double[n][2];
        for (double[] row : x) {
            row[0] = normal.sample() + shift;
            row[1] = normal.sample() * 2 - shift;
        }
        return x;
    }
}
