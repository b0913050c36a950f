package dev.probe.planing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.probe.proposals.Devices;

/**
 * Planing with trained classifiers, on small synthetic classes (2,000 events each, 400 held out
 * per class). Statistical checks allow 4 bootstrap standard errors (a false failure about once in
 * 16,000 for a Gaussian statistic); seeds are fixed, so each test's outcome is fixed too.
 */
class StudyTest {

    private static final int EVENTS = 2000;
    private static final Settings SMALL = new Settings(new int[] {16, 16}, 128, 0.01, 0.003, 40, 5, 10, 200);

    @BeforeAll
    static void oneThread() {
        Devices.prepare(1);
    }

    /** x: N(shift, 1), a: N(0, 1) and b: N(0, 1) independent of the class; z is the pair (a, b). */
    private static Events events(double shift, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[][] x = new double[EVENTS][];
        double[][] z = new double[EVENTS][];
        double[][] a = new double[EVENTS][];
        for (int i = 0; i < EVENTS; i++) {
            x[i] = new double[] {shift + gauss(r)};
            a[i] = new double[] {gauss(r)};
            z[i] = new double[] {a[i][0], gauss(r)};
        }
        Map<String, double[][]> columns = new LinkedHashMap<>();
        columns.put("x", x);
        columns.put("z", z);
        columns.put("a", a);
        return Events.of(columns);
    }

    private static double gauss(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    @Test
    void planingTheOnlyDiscriminatingVariableLeavesNothingToLearn() {
        Study.Configuration plain = new Study.Configuration("x,z", List.of("x", "z"), List.of());
        Study.Configuration planed = new Study.Configuration("x,z planed in x", List.of("x", "z"), List.of("x"));
        List<Study.Row> rows = Study.run(events(1, 1), events(0, 2), List.of(plain, planed), SMALL, 7, Study.Listener.NONE);
        // Before: N(1,1) against N(0,1) separates with AUC Phi(1/sqrt 2) = 0.760.
        for (Study.Result r : List.of(rows.get(0).linear(), rows.get(0).deep())) {
            assertEquals(0.760, r.auc().value(), 4 * r.auc().error(), "before planing: " + r);
        }
        for (Study.Result r : List.of(rows.get(1).linear(), rows.get(1).deep())) {
            assertEquals(0.5, r.auc().value(), 4 * r.auc().error(), "after planing: " + r);
        }
    }

    @Test
    void planingAClassIndependentVariableChangesNothing() {
        Study.Configuration plain = new Study.Configuration("x,z", List.of("x", "z"), List.of());
        Study.Configuration planed = new Study.Configuration("x,z planed in a", List.of("x", "z"), List.of("a"));
        List<Study.Row> rows = Study.run(events(1, 3), events(0, 4), List.of(plain, planed), SMALL, 8, Study.Listener.NONE);
        Study.Row before = rows.get(0);
        Study.Row after = rows.get(1);
        // Both AUCs come from the same held-out events, so their difference fluctuates less than
        // the two errors added in quadrature: the tolerance is conservative.
        assertSame(before.linear(), after.linear());
        assertSame(before.deep(), after.deep());
    }

    private static void assertSame(Study.Result a, Study.Result b) {
        double tolerance = 4 * Math.hypot(a.auc().error(), b.auc().error());
        assertEquals(a.auc().value(), b.auc().value(), tolerance, a + " against " + b);
    }

    @Test
    void oneSeedGivesOneTable() {
        Study.Configuration planed = new Study.Configuration("x,z planed in x,a", List.of("x", "z"), List.of("x", "a"));
        Settings quick = SMALL.withEpochs(5);
        List<Study.Row> first = Study.run(events(1, 5), events(0, 6), List.of(planed), quick, 9, Study.Listener.NONE);
        List<Study.Row> second = Study.run(events(1, 5), events(0, 6), List.of(planed), quick, 9, Study.Listener.NONE);
        assertEquals(first.get(0).linear().auc(), second.get(0).linear().auc());
        assertEquals(first.get(0).deep().auc(), second.get(0).deep().auc());
        assertEquals(first.get(0).deep().epochs(), second.get(0).deep().epochs());
        assertTrue(first.get(0).dropped() >= 0);
    }
}
