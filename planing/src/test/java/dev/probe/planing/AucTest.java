package dev.probe.planing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class AucTest {

    @Test
    void separatedClassesGiveOneAndTiesOneHalf() {
        boolean[] signal = {true, true, false, false};
        double[] ones = {1, 1, 1, 1};
        assertEquals(1.0, Auc.of(new double[] {0.9, 0.8, 0.2, 0.1}, signal, ones), 0);
        assertEquals(0.0, Auc.of(new double[] {0.1, 0.2, 0.8, 0.9}, signal, ones), 0);
        assertEquals(0.5, Auc.of(new double[] {0.5, 0.5, 0.5, 0.5}, signal, ones), 0);
    }

    @Test
    void weightsCountAsEventMultiplicities() {
        // Signal scores 0.3 (weight 2) and 0.7 (weight 1); background 0.5 (weight 3) and 0.1 (weight 1).
        // Pairs above: 0.3 beats 0.1 (2*1), 0.7 beats both (1*3 + 1*1): 6 of W_s W_b = 3 * 4 = 12.
        double auc = Auc.of(new double[] {0.3, 0.7, 0.5, 0.1}, new boolean[] {true, true, false, false},
                new double[] {2, 1, 3, 1});
        assertEquals(0.5, auc, 1e-15);
        double expanded = Auc.of(new double[] {0.3, 0.3, 0.7, 0.5, 0.5, 0.5, 0.1},
                new boolean[] {true, true, true, false, false, false, false}, new double[] {1, 1, 1, 1, 1, 1, 1});
        assertEquals(expanded, auc, 1e-15);
    }

    @Test
    void bootstrapErrorMatchesTheAnalyticOneForGaussianScores() {
        // Scores N(1, 1) against N(0, 1), 2,000 each: AUC = Phi(1/sqrt 2) = 0.7602. Hanley and McNeil's
        // standard error is 0.0076; a bootstrap error from 400 replicas has a relative error of about
        // 1/sqrt(2*400) = 3.5%, so 20% is over five of its standard errors.
        SplittableRandom r = new SplittableRandom(5);
        int n = 2000;
        double[] scores = new double[2 * n];
        boolean[] signal = new boolean[2 * n];
        double[] w = new double[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            signal[i] = i < n;
            scores[i] = (signal[i] ? 1 : 0) + Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
            w[i] = 1;
        }
        Auc auc = Auc.withBootstrap(scores, signal, w, 400, 9);
        double a = auc.value();
        double q1 = a / (2 - a);
        double q2 = 2 * a * a / (1 + a);
        double hanley = Math.sqrt((a * (1 - a) + (n - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / ((double) n * n));
        // The AUC itself: within 5 of its standard errors of the exact value.
        assertEquals(0.7602, a, 5 * hanley);
        assertEquals(hanley, auc.error(), 0.2 * hanley);
        assertEquals(auc, Auc.withBootstrap(scores, signal, w, 400, 9));
    }

    @Test
    void theRocCurvesAreaIsTheAuc() {
        // Trapezoids under the curve count a tie between the classes one half, as the AUC does; with
        // one point per distinct score the two agree to rounding.
        SplittableRandom r = new SplittableRandom(6);
        int n = 500;
        double[] scores = new double[2 * n];
        boolean[] signal = new boolean[2 * n];
        double[] w = new double[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            signal[i] = i < n;
            scores[i] = Math.round(10 * ((signal[i] ? 0.5 : 0) + r.nextDouble())) / 10.0;
            w[i] = 0.5 + r.nextDouble();
        }
        double[][] roc = Auc.roc(scores, signal, w, 2 * n);
        double area = 0;
        for (int k = 1; k < roc[0].length; k++) {
            area += (roc[0][k] - roc[0][k - 1]) * 0.5 * (roc[1][k] + roc[1][k - 1]);
        }
        assertEquals(Auc.of(scores, signal, w), area, 1e-12);
        assertEquals(0.0, roc[0][0]);
        assertEquals(1.0, roc[0][roc[0].length - 1], 1e-12);
        assertEquals(1.0, roc[1][roc[1].length - 1], 1e-12);
        // Perfect separation passes through (0, 1).
        double[][] perfect = Auc.roc(new double[] {0.9, 0.8, 0.2, 0.1}, new boolean[] {true, true, false, false},
                new double[] {1, 1, 1, 1}, 10);
        assertEquals(0.0, perfect[0][2]);
        assertEquals(1.0, perfect[1][2]);
    }
}
