package dev.probe.planing;

import java.util.Arrays;

/**
 * Planing (Chang, Cohen and Ostdiek, arXiv:1709.10106, section II): per-event weights that make
 * the binned distribution of one or two variables the same in both classes, so that a classifier
 * can no longer learn from them.
 *
 * <p>The rule. Each variable is cut into {@code bins} bins of equal population in the two classes
 * pooled (the quantiles k/bins of the combined sample); two variables give the grid of both. The
 * common target is the average of the two classes' binned distributions, h(c) = (n_s(c)/N_s +
 * n_b(c)/N_b) / 2, over the cells where both classes have events (renormalised to 1); an event of
 * class k in cell c weighs N_k h(c) / n_k(c). So each class keeps its total weight N_k, both
 * classes' weighted binned distributions equal h exactly, and events in a cell that one class never
 * reaches weigh 0 (counted in {@link #dropped()}). With equal class sizes and equal-population bins
 * the target is flat in the bin index, as in the paper's planing to a flat distribution.
 */
public final class Planing {

    /** The events per class per cell, on average, that {@link #defaultBins} aims at. */
    static final int EVENTS_PER_CELL = 25;
    /** At most this many bins per variable by default. */
    static final int MAX_BINS = 50;

    private final double[][] edges;
    private final int bins;
    private final double[] signalWeights;
    private final double[] backgroundWeights;
    private final double[] target;
    private final int dropped;

    private Planing(double[][] edges, int bins, double[] signalWeights, double[] backgroundWeights, double[] target,
            int dropped) {
        this.edges = edges;
        this.bins = bins;
        this.signalWeights = signalWeights;
        this.backgroundWeights = backgroundWeights;
        this.target = target;
        this.dropped = dropped;
    }

    /**
     * Bins per variable when the user does not choose: about {@value #EVENTS_PER_CELL} events of a
     * class per cell when it has {@code eventsPerClass}, between 2 and {@value #MAX_BINS}.
     */
    public static int defaultBins(int eventsPerClass, int variables) {
        int b = (int) Math.floor(Math.pow((double) eventsPerClass / EVENTS_PER_CELL, 1.0 / variables));
        return Math.max(2, Math.min(MAX_BINS, b));
    }

    /**
     * Plans the two classes in the variables given as {@code [variable][event]} (one or two
     * variables; the same number for both classes) with {@code bins} bins per variable, cut at the
     * quantiles of these events.
     */
    public static Planing of(double[][] signal, double[][] background, int bins) {
        return withEdges(signal, background, edges(signal, background, bins));
    }

    /**
     * The inner bin edges, per variable, of {@code bins} equal-population bins of the two classes
     * pooled: the quantiles k / bins, k = 1 .. bins - 1.
     */
    public static double[][] edges(double[][] signal, double[][] background, int bins) {
        if (signal.length < 1 || signal.length > 2 || background.length != signal.length) {
            throw new IllegalArgumentException("planing takes one or two variables, got " + signal.length);
        }
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be positive, got " + bins);
        }
        double[][] edges = new double[signal.length][];
        for (int v = 0; v < signal.length; v++) {
            edges[v] = quantileEdges(signal[v], background[v], bins);
        }
        return edges;
    }

    /** Plans the two classes in bins with the given inner edges (from {@link #edges}), the same number per variable. */
    public static Planing withEdges(double[][] signal, double[][] background, double[][] edges) {
        if (signal.length != edges.length || background.length != edges.length) {
            throw new IllegalArgumentException("planing takes one or two variables, with their bin edges");
        }
        int bins = edges[0].length + 1;
        int cells = (int) Math.pow(bins, signal.length);
        int[] signalCells = cells(signal, edges, bins);
        int[] backgroundCells = cells(background, edges, bins);
        double[] ns = counts(signalCells, cells);
        double[] nb = counts(backgroundCells, cells);
        double[] target = new double[cells];
        double total = 0;
        for (int c = 0; c < cells; c++) {
            if (ns[c] > 0 && nb[c] > 0) {
                target[c] = 0.5 * (ns[c] / signalCells.length + nb[c] / backgroundCells.length);
                total += target[c];
            }
        }
        if (total == 0) {
            throw new IllegalArgumentException("the two classes share no bin of the planed variables: nothing is left to compare");
        }
        for (int c = 0; c < cells; c++) {
            target[c] /= total;
        }
        double[] ws = weights(signalCells, ns, target);
        double[] wb = weights(backgroundCells, nb, target);
        int dropped = 0;
        for (double w : ws) {
            dropped += w == 0 ? 1 : 0;
        }
        for (double w : wb) {
            dropped += w == 0 ? 1 : 0;
        }
        return new Planing(edges, bins, ws, wb, target, dropped);
    }

    /** Inner bin edges of one variable: the pooled sample's quantiles k / bins, k = 1 .. bins - 1. */
    private static double[] quantileEdges(double[] a, double[] b, int bins) {
        double[] pooled = new double[a.length + b.length];
        System.arraycopy(a, 0, pooled, 0, a.length);
        System.arraycopy(b, 0, pooled, a.length, b.length);
        for (double x : pooled) {
            if (!Double.isFinite(x)) {
                throw new IllegalArgumentException("a planed variable is not finite (" + x + ") in some event");
            }
        }
        return quantileEdges(pooled, bins);
    }

    /** Inner edges of {@code bins} equal-population bins of {@code x}: its quantiles k / bins. */
    static double[] quantileEdges(double[] x, int bins) {
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        double[] edges = new double[bins - 1];
        for (int k = 1; k < bins; k++) {
            edges[k - 1] = sorted[(int) Math.min(sorted.length - 1, (long) k * sorted.length / bins)];
        }
        return edges;
    }

    /** The bin of {@code x}: how many edges are at or below it (bins are [e_(k-1), e_k)). */
    static int bin(double[] edges, double x) {
        int lo = 0;
        int hi = edges.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int[] cells(double[][] vars, double[][] edges, int bins) {
        int n = vars[0].length;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int c = 0;
            for (int v = 0; v < vars.length; v++) {
                c = c * bins + bin(edges[v], vars[v][i]);
            }
            out[i] = c;
        }
        return out;
    }

    private static double[] counts(int[] cells, int size) {
        double[] n = new double[size];
        for (int c : cells) {
            n[c]++;
        }
        return n;
    }

    private static double[] weights(int[] cells, double[] counts, double[] target) {
        double[] w = new double[cells.length];
        for (int i = 0; i < cells.length; i++) {
            int c = cells[i];
            w[i] = target[c] == 0 ? 0 : cells.length * target[c] / counts[c];
        }
        return w;
    }

    /** The signal events' weights, in the order given. */
    public double[] signalWeights() {
        return signalWeights.clone();
    }

    /** The background events' weights, in the order given. */
    public double[] backgroundWeights() {
        return backgroundWeights.clone();
    }

    /** Kish's effective number of events of weights {@code w}: (sum w)^2 / sum w^2. */
    public static double effectiveSize(double[] w) {
        double sum = 0;
        double sq = 0;
        for (double x : w) {
            sum += x;
            sq += x * x;
        }
        return sq == 0 ? 0 : sum * sum / sq;
    }

    /** Bins per variable. */
    public int bins() {
        return bins;
    }

    /** Events that weigh 0: in cells only one class reaches. */
    public int dropped() {
        return dropped;
    }

    /** The common target distribution over the cells (row-major in the variables). */
    public double[] target() {
        return target.clone();
    }

    /**
     * The weighted distribution over the cells of events given as {@code [variable][event]}, with
     * these weights, normalised to 1: after planing, the same for both classes.
     */
    public double[] histogram(double[][] vars, double[] weights) {
        int[] cells = cells(vars, edges, bins);
        double[] h = new double[target.length];
        double total = 0;
        for (int i = 0; i < cells.length; i++) {
            h[cells[i]] += weights[i];
            total += weights[i];
        }
        for (int c = 0; c < h.length; c++) {
            h[c] /= total;
        }
        return h;
    }
}
