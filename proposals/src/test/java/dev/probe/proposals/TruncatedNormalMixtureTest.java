package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.TruncatedNormal;

/** The TRUNCATED head's proposal is the mixture of TruncatedNormal objects it replaces. */
class TruncatedNormalMixtureTest {

    /** Intervals of every shape the head meets: (0, 1), (0, inf), (-inf, 2], a narrow one far in a tail. */
    private static final double[][] INTERVALS = {
        {0, 1}, {0, Double.POSITIVE_INFINITY}, {Double.NEGATIVE_INFINITY, 2}, {5, 5.001}};

    @Test
    void densitiesDrawsAndMomentsAreThoseOfTheMixtureOfObjects() {
        UniformRandomProvider parameters = new XoRoShiRo128PlusPlus(3, 4);
        for (double[] interval : INTERVALS) {
            double low = interval[0];
            double high = interval[1];
            int k = 10;
            double[] w = new double[k];
            double[] location = new double[k];
            double[] scale = new double[k];
            List<Distribution<Double>> parts = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                w[i] = Math.exp(3 * parameters.nextDouble());
                double lo = Double.isFinite(low) ? low : (Double.isFinite(high) ? high - 4 : -2);
                double hi = Double.isFinite(high) ? high : lo + 4;
                location[i] = lo + (hi - lo) * parameters.nextDouble();
                scale[i] = 0.01 + 2 * parameters.nextDouble();
                parts.add(TruncatedNormal.of(location[i], scale[i], low, high));
            }
            TruncatedNormalMixture fast = new TruncatedNormalMixture(w, location, scale, low, high);
            Mixture<Double> objects = Mixture.of(w, parts);
            UniformRandomProvider a = new XoRoShiRo128PlusPlus(11, 12);
            UniformRandomProvider b = new XoRoShiRo128PlusPlus(11, 12);
            for (int n = 0; n < 2000; n++) {
                double x = fast.sample(a);
                // The same component and the same draw from it, under the same generator.
                assertEquals(objects.sample(b), x, 0.0, "draw " + n + " on [" + low + ", " + high + "]");
                double expected = objects.logProb(x);
                assertEquals(expected, fast.logDensity(x), 1e-9 * Math.max(1, Math.abs(expected)),
                        "log density at " + x + " on [" + low + ", " + high + "]");
            }
            assertEquals(Double.NEGATIVE_INFINITY, fast.logDensity(Double.isFinite(low) ? low - 1 : high + 1));
            assertEquals(objects.mean(), fast.mean(), 0.0);
            assertEquals(objects.variance(), fast.variance(), 0.0);
        }
    }
}
