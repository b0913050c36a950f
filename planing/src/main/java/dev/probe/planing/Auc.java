package dev.probe.planing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The weighted area under the ROC curve and its bootstrap standard error.
 *
 * <p>The area is the weighted probability that a signal event scores above a background event,
 * ties counting one half: sum over signal i and background j of w_i w_j [s_i > s_j] over W_s W_b.
 * The error is the standard deviation of the area over {@code replicas} bootstrap resamplings of
 * the events (each class resampled with replacement at its own size, weights travelling with their
 * events), with a fixed seed. It measures the held-out sample's statistical fluctuation, not the
 * spread between trainings.
 *
 * @param value the area
 * @param error its bootstrap standard error
 */
public record Auc(double value, double error) {

    /** The weighted area; {@code signal[i]} tells event i's class. */
    public static double of(double[] scores, boolean[] signal, double[] weights) {
        return area(order(scores), scores, signal, weights);
    }

    /** The weighted area with its bootstrap error from {@code replicas} resamplings seeded by {@code seed}. */
    public static Auc withBootstrap(double[] scores, boolean[] signal, double[] weights, int replicas, long seed) {
        int[] order = order(scores);
        double value = area(order, scores, signal, weights);
        if (replicas < 2) {
            return new Auc(value, Double.NaN);
        }
        int[] sig = IntStream.range(0, scores.length).filter(i -> signal[i]).toArray();
        int[] bkg = IntStream.range(0, scores.length).filter(i -> !signal[i]).toArray();
        SplittableRandom random = new SplittableRandom(seed);
        double sum = 0;
        double sq = 0;
        double[] resampled = new double[scores.length];
        for (int r = 0; r < replicas; r++) {
            // A resampling is a multiplicity per event: the sort order of the scores is reused.
            Arrays.fill(resampled, 0);
            for (int[] members : new int[][] {sig, bkg}) {
                for (int k = 0; k < members.length; k++) {
                    int i = members[random.nextInt(members.length)];
                    resampled[i] += weights[i];
                }
            }
            double a = area(order, scores, signal, resampled);
            sum += a;
            sq += a * a;
        }
        double mean = sum / replicas;
        return new Auc(value, Math.sqrt(Math.max(0, (sq - replicas * mean * mean) / (replicas - 1))));
    }

    /**
     * The weighted ROC curve: {false-positive rates, true-positive rates} as the threshold falls
     * from above the highest score to below the lowest, one point per distinct score (at most
     * {@code points} + 2, evenly spread through the events, the ends kept).
     */
    public static double[][] roc(double[] scores, boolean[] signal, double[] weights, int points) {
        int[] order = order(scores);
        double totalSignal = 0;
        double totalBackground = 0;
        for (int i = 0; i < scores.length; i++) {
            if (signal[i]) {
                totalSignal += weights[i];
            } else {
                totalBackground += weights[i];
            }
        }
        List<double[]> curve = new ArrayList<>();
        curve.add(new double[] {0, 0});
        double s = 0;
        double b = 0;
        int step = Math.max(1, scores.length / Math.max(1, points));
        int next = step;
        int at = order.length - 1;
        while (at >= 0) {
            double score = scores[order[at]];
            int taken = 0;
            while (at >= 0 && scores[order[at]] == score) {
                int i = order[at--];
                taken++;
                if (signal[i]) {
                    s += weights[i];
                } else {
                    b += weights[i];
                }
            }
            next -= taken;
            if (next <= 0 || at < 0) {
                curve.add(new double[] {b / totalBackground, s / totalSignal});
                next = step;
            }
        }
        double[][] out = new double[2][curve.size()];
        for (int k = 0; k < curve.size(); k++) {
            out[0][k] = curve.get(k)[0];
            out[1][k] = curve.get(k)[1];
        }
        return out;
    }

    private static int[] order(double[] scores) {
        return IntStream.range(0, scores.length).boxed().sorted(Comparator.comparingDouble(i -> scores[i]))
                .mapToInt(Integer::intValue).toArray();
    }

    private static double area(int[] order, double[] scores, boolean[] signal, double[] weights) {
        double below = 0;
        double sum = 0;
        double ws = 0;
        int from = 0;
        while (from < order.length) {
            int to = from;
            double tiedSignal = 0;
            double tiedBackground = 0;
            while (to < order.length && scores[order[to]] == scores[order[from]]) {
                int i = order[to++];
                if (signal[i]) {
                    tiedSignal += weights[i];
                } else {
                    tiedBackground += weights[i];
                }
            }
            sum += tiedSignal * (below + 0.5 * tiedBackground);
            below += tiedBackground;
            ws += tiedSignal;
            from = to;
        }
        if (ws == 0 || below == 0) {
            throw new IllegalArgumentException("the area under the ROC curve needs weighted events of both classes");
        }
        return sum / (ws * below);
    }
}
