package dev.probe.planing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A planing study: for each configuration (features, optionally planed in one or two variables),
 * a linear and a deep classifier trained on the same split of the same events, and their weighted
 * AUC on the held-out events. Each class's events are split once, at random from the seed, into
 * {@value Settings#TRAIN} training, {@value Settings#VALIDATION} validation and the rest held out.
 * Planing bins are cut on all events of the configuration; the weights are computed in each
 * split on its own, so each split's weighted binned distributions agree exactly between classes;
 * the features are standardised with the training split's mean and standard deviation.
 */
public final class Study {

    /** Told as each classifier finishes. */
    public interface Listener {
        void trained(Configuration configuration, String classifier, Result result);

        Listener NONE = (c, k, r) -> { };
    }

    /**
     * One row of the table.
     *
     * @param label    how the table names it
     * @param features the classifier's inputs (names of the events' columns)
     * @param planed   the variables planed away (none, one or two)
     */
    public record Configuration(String label, List<String> features, List<String> planed) {
        public Configuration {
            features = List.copyOf(features);
            planed = List.copyOf(planed);
            if (features.isEmpty()) {
                throw new IllegalArgumentException("a configuration needs at least one feature");
            }
            if (planed.size() > 2) {
                throw new IllegalArgumentException("planing takes one or two variables, got " + planed);
            }
        }
    }

    /**
     * One classifier's outcome.
     *
     * @param auc       the weighted AUC on the held-out events, with its bootstrap error
     * @param epochs    epochs trained
     * @param validLoss the best weighted validation loss (nats per event)
     * @param seconds   training time
     * @param roc       the weighted ROC curve on the held-out events ({@link Auc#roc})
     */
    public record Result(Auc auc, int epochs, double validLoss, double seconds, double[][] roc) {
    }

    /**
     * A configuration's outcome.
     *
     * @param bins       bins per planed variable (0 without planing)
     * @param dropped    events weighing 0 after planing (in cells one class never reaches)
     * @param effective  Kish's effective number of events of the signal and of the background
     *                   after planing (their numbers of events without)
     * @param linear     logistic regression
     * @param deep       the MLP
     * @param weights    every event's planing weight (1 without planing): {signal, background}, in the events' order
     */
    public record Row(Configuration configuration, int bins, int dropped, double[] effective, Result linear, Result deep,
            double[][] weights) {
    }

    /** Points per ROC curve kept for the plots. */
    static final int ROC_POINTS = 400;

    private Study() {
    }

    /** Runs every configuration on the same events; {@code seed} fixes splits, initial weights, batches and bootstraps. */
    public static List<Row> run(Events signal, Events background, List<Configuration> configurations, Settings settings,
            long seed, Listener listener) {
        if (signal.size() < 10 || background.size() < 10) {
            throw new IllegalArgumentException("a planing study needs at least 10 events per class, got " + signal.size() + " and "
                    + background.size());
        }
        int[][] signalSplit = split(signal.size(), new SplittableRandom(seed));
        int[][] backgroundSplit = split(background.size(), new SplittableRandom(seed + 1));
        List<Row> rows = new ArrayList<>();
        for (Configuration c : configurations) {
            rows.add(run(signal, background, signalSplit, backgroundSplit, c, settings, seed, listener));
        }
        return rows;
    }

    private static Row run(Events signal, Events background, int[][] signalSplit, int[][] backgroundSplit, Configuration c,
            Settings settings, long seed, Listener listener) {
        double[] ws = new double[signal.size()];
        double[] wb = new double[background.size()];
        Arrays.fill(ws, 1);
        Arrays.fill(wb, 1);
        int bins = 0;
        int dropped = 0;
        if (!c.planed().isEmpty()) {
            double[][] s = new double[c.planed().size()][];
            double[][] b = new double[c.planed().size()][];
            for (int v = 0; v < s.length; v++) {
                s[v] = signal.scalar(c.planed().get(v));
                b[v] = background.scalar(c.planed().get(v));
            }
            bins = settings.bins() > 0 ? settings.bins()
                    : Planing.defaultBins(Math.min(signalSplit[2].length, backgroundSplit[2].length), c.planed().size());
            // One set of bin edges from all events; each part planed on its own, so that no part's
            // events shape another's weights (planing all at once made the held-out AUC fall below 0.5).
            double[][] edges = Planing.edges(s, b, bins);
            for (int k = 0; k < 3; k++) {
                Planing planing = Planing.withEdges(pick(s, signalSplit[k]), pick(b, backgroundSplit[k]), edges);
                scatter(planing.signalWeights(), signalSplit[k], ws);
                scatter(planing.backgroundWeights(), backgroundSplit[k], wb);
                dropped += planing.dropped();
            }
        }
        double[][] xs = matrix(signal, c.features());
        double[][] xb = matrix(background, c.features());
        Classifier.Part[] parts = new Classifier.Part[3];
        for (int k = 0; k < 3; k++) {
            parts[k] = part(xs, ws, signalSplit[k], xb, wb, backgroundSplit[k]);
        }
        standardise(parts);
        Result linear = fit(new int[0], settings.linearRate(), parts, settings, seed + 11);
        listener.trained(c, "linear", linear);
        Result deep = fit(settings.hidden(), settings.deepRate(), parts, settings, seed + 12);
        listener.trained(c, "deep", deep);
        double[] effective = {Planing.effectiveSize(ws), Planing.effectiveSize(wb)};
        return new Row(c, bins, dropped, effective, linear, deep, new double[][] {ws, wb});
    }

    private static Result fit(int[] hidden, double rate, Classifier.Part[] parts, Settings settings, long seed) {
        long start = System.nanoTime();
        Classifier.Fit fit = Classifier.train(hidden, rate, parts[0], parts[1], parts[2], settings, seed);
        Auc auc = Auc.withBootstrap(fit.scores(), parts[2].signal(), parts[2].weights(), settings.bootstrap(), seed + 13);
        return new Result(auc, fit.epochs(), fit.validLoss(), (System.nanoTime() - start) / 1e9,
                Auc.roc(fit.scores(), parts[2].signal(), parts[2].weights(), ROC_POINTS));
    }

    /** The values of the events {@code at}, per variable. */
    private static double[][] pick(double[][] vars, int[] at) {
        double[][] out = new double[vars.length][at.length];
        for (int v = 0; v < vars.length; v++) {
            for (int k = 0; k < at.length; k++) {
                out[v][k] = vars[v][at[k]];
            }
        }
        return out;
    }

    private static void scatter(double[] values, int[] at, double[] into) {
        for (int k = 0; k < at.length; k++) {
            into[at[k]] = values[k];
        }
    }

    /** Indices 0 .. n-1 shuffled and cut into training, validation and held-out parts. */
    private static int[][] split(int n, SplittableRandom random) {
        int[] order = Classifier.permutation(n, random);
        int train = (int) Math.round(n * Settings.TRAIN);
        int valid = (int) Math.round(n * Settings.VALIDATION);
        return new int[][] {Arrays.copyOfRange(order, 0, train), Arrays.copyOfRange(order, train, train + valid),
            Arrays.copyOfRange(order, train + valid, n)};
    }

    /** The features of every event, side by side: [event][column]. */
    private static double[][] matrix(Events events, List<String> features) {
        double[][] out = new double[events.size()][];
        for (int i = 0; i < events.size(); i++) {
            int width = 0;
            for (String f : features) {
                width += events.column(f)[i].length;
            }
            double[] row = new double[width];
            int at = 0;
            for (String f : features) {
                double[] v = events.column(f)[i];
                System.arraycopy(v, 0, row, at, v.length);
                at += v.length;
            }
            out[i] = row;
        }
        return out;
    }

    private static Classifier.Part part(double[][] xs, double[] ws, int[] is, double[][] xb, double[] wb, int[] ib) {
        int n = is.length + ib.length;
        float[][] x = new float[n][];
        boolean[] signal = new boolean[n];
        double[] w = new double[n];
        for (int k = 0; k < n; k++) {
            boolean s = k < is.length;
            int i = s ? is[k] : ib[k - is.length];
            double[] row = s ? xs[i] : xb[i];
            x[k] = new float[row.length];
            for (int j = 0; j < row.length; j++) {
                x[k][j] = (float) row[j];
            }
            signal[k] = s;
            w[k] = s ? ws[i] : wb[i];
        }
        return new Classifier.Part(x, signal, w);
    }

    /** Centres and scales every split's features by the training split's mean and standard deviation. */
    private static void standardise(Classifier.Part[] parts) {
        float[][] train = parts[0].x();
        int d = train[0].length;
        double[] mean = new double[d];
        double[] sq = new double[d];
        for (float[] row : train) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
                sq[j] += (double) row[j] * row[j];
            }
        }
        double[] std = new double[d];
        for (int j = 0; j < d; j++) {
            mean[j] /= train.length;
            double var = sq[j] / train.length - mean[j] * mean[j];
            std[j] = var > 1e-24 ? Math.sqrt(var) : 1;
        }
        for (Classifier.Part p : parts) {
            for (float[] row : p.x()) {
                for (int j = 0; j < d; j++) {
                    row[j] = (float) ((row[j] - mean[j]) / std[j]);
                }
            }
        }
    }
}
