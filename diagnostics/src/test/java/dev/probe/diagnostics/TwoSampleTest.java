package dev.probe.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TwoSampleTest {

    @Test
    void ksDistanceOfShiftedSamples() {
        // F_a - F_b at 1 is 1/3, at 2: 2/3 - 1/3, at 3: 1 - 2/3.
        assertEquals(1 / 3.0, TwoSample.ksDistance(new double[] {1, 2, 3}, null, new double[] {2, 3, 4}, null), 1e-12);
    }

    @Test
    void ksDistanceUsesWeightsAndStepsOverTies() {
        double d = TwoSample.ksDistance(new double[] {0, 1, 0}, new double[] {2, 1, 1}, new double[] {1, 0}, new double[] {1, 1});
        assertEquals(0.25, d, 1e-12);
        assertEquals(0, TwoSample.ksDistance(new double[] {5, 5}, null, new double[] {5}, null), 1e-12);
    }

    @Test
    void badSamplesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> TwoSample.ksDistance(new double[0], null, new double[] {1}, null));
        assertThrows(IllegalArgumentException.class,
                () -> TwoSample.ksDistance(new double[] {1}, new double[] {-1}, new double[] {1}, null));
    }
}
