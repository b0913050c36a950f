package dev.probe.planing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class PlaningTest {

    private static double[] normal(int n, double mean, double sd, SplittableRandom r) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            // Box-Muller: one normal from two uniforms.
            x[i] = mean + sd * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
        }
        return x;
    }

    private static double sum(double[] a) {
        double s = 0;
        for (double x : a) {
            s += x;
        }
        return s;
    }

    @Test
    void weightsMakeTheBinnedDistributionsIdenticalInOneVariable() {
        SplittableRandom r = new SplittableRandom(1);
        double[][] s = {normal(3000, 1, 1, r)};
        double[][] b = {normal(2000, 0, 2, r)};
        Planing p = Planing.of(s, b, 20);
        double[] hs = p.histogram(s, p.signalWeights());
        double[] hb = p.histogram(b, p.backgroundWeights());
        assertArrayEquals(hs, hb, 1e-12);
        assertArrayEquals(p.target(), hs, 1e-12);
        // Each class keeps its total weight: its number of events.
        assertEquals(3000, sum(p.signalWeights()), 1e-9);
        assertEquals(2000, sum(p.backgroundWeights()), 1e-9);
    }

    @Test
    void weightsMakeTheBinnedDistributionsIdenticalInTwoVariables() {
        SplittableRandom r = new SplittableRandom(2);
        double[][] s = {normal(4000, 1, 1, r), normal(4000, 0, 1, r)};
        double[][] b = {normal(4000, 0, 1, r), normal(4000, 0.5, 3, r)};
        Planing p = Planing.of(s, b, 8);
        assertArrayEquals(p.histogram(s, p.signalWeights()), p.histogram(b, p.backgroundWeights()), 1e-12);
        assertEquals(4000, sum(p.signalWeights()), 1e-9);
        assertEquals(4000, sum(p.backgroundWeights()), 1e-9);
    }

    @Test
    void equalPopulationBinsGiveAFlatTargetForClassesOfOneSize() {
        SplittableRandom r = new SplittableRandom(3);
        double[][] s = {normal(1000, 1, 1, r)};
        double[][] b = {normal(1000, -1, 1, r)};
        Planing p = Planing.of(s, b, 10);
        double[] flat = new double[10];
        java.util.Arrays.fill(flat, 0.1);
        // 2,000 distinct values cut at every 200th: exactly 200 per bin, so the target is flat.
        assertArrayEquals(flat, p.target(), 1e-12);
    }

    @Test
    void cellsOneClassNeverReachesWeighNothing() {
        double[][] s = {{0, 1, 2, 3}};
        double[][] b = {{2, 3, 4, 5}};
        Planing p = Planing.of(s, b, 4);
        assertEquals(4, p.dropped());
        assertArrayEquals(p.histogram(s, p.signalWeights()), p.histogram(b, p.backgroundWeights()), 1e-12);
        assertEquals(4, sum(p.signalWeights()), 1e-12);
    }

    @Test
    void defaultBinsAimAtTwentyFiveEventsPerCell() {
        assertEquals(50, Planing.defaultBins(100_000, 1));
        assertEquals(40, Planing.defaultBins(1000, 1));
        assertEquals(20, Planing.defaultBins(10_000, 2));
        assertEquals(2, Planing.defaultBins(50, 2));
    }

    @Test
    void effectiveSizeIsKishs() {
        assertEquals(16.0 / 6, Planing.effectiveSize(new double[] {1, 1, 2}), 1e-15);
        assertEquals(5, Planing.effectiveSize(new double[] {3, 3, 3, 3, 3}), 1e-12);
    }

    @Test
    void threeVariablesAreRefused() {
        double[][] x = {{1}, {2}, {3}};
        assertThrows(IllegalArgumentException.class, () -> Planing.of(x, x, 2));
    }
}
