package dev.probe.diagnostics;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The diagnostic plots, as {@link Figure}s: marginal histograms with quantiles, a corner plot,
 * Markov-chain traces, importance weights, training curves and SBC rank histograms. Pure
 * functions of arrays; nothing is drawn on screen (AWT runs headless).
 */
public final class Plots {

    /** Width and height of a single plot, in pixels. */
    public static final int WIDTH = 640;
    public static final int HEIGHT = 400;

    private static final Color[] CHAIN_COLOURS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private static final Color BAR = new Color(0x4c72b0);
    private static final double[] QUANTILES = {0.05, 0.5, 0.95};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {
    }

    /**
     * A weighted histogram (a density) of one variable with its 5%, 50% and 95% quantiles as
     * dashed lines; NaN values (draws without the variable) are left out; weights null for equal.
     */
    public static Figure histogram(String name, double[] values, double[] weights) {
        return Figure.of(histogramChart(name, values, weights, WIDTH, HEIGHT, true));
    }

    /**
     * A corner plot: histograms with their 5%, 50% and 95% quantiles on the diagonal, scatter plots of up to 1,000 equally weighted
     * draws below it.
     *
     * @param rows equally weighted draws, one column per name
     */
    public static Figure corner(List<String> names, double[][] columns, double[] weights, double[][] rows) {
        int k = names.size();
        int size = Math.max(180, Math.min(320, 960 / k));
        return Figure.grid(new ArrayList<Chart<?, ?>>(cornerPanels(names, columns, weights, rows, size)), k, size, size);
    }

    /**
     * The corner plot's panels, row by row (null above the diagonal). Every panel of column j has
     * variable j's histogram range as its x axis, and every scatter plot of row i variable i's as
     * its y axis, so that a column's panels line up under its histogram.
     */
    static List<XYChart> cornerPanels(List<String> names, double[][] columns, double[] weights, double[][] rows, int size) {
        int k = names.size();
        double[][] ranges = new double[k][];
        for (int i = 0; i < k; i++) {
            ranges[i] = histogramRange(columns[i], weights);
        }
        List<XYChart> panels = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                if (i == j) {
                    XYChart h = histogramChart(names.get(i), columns[i], weights, size, size, false);
                    h.getStyler().setXAxisDecimalPattern("#.###");
                    limitX(h, ranges[j]);
                    panels.add(h);
                } else if (j < i) {
                    XYChart c = xy(size, size, "", names.get(j), names.get(i));
                    int n = Math.min(rows.length, 1000);
                    double[] x = new double[n];
                    double[] y = new double[n];
                    for (int r = 0; r < n; r++) {
                        x[r] = rows[r][j];
                        y[r] = rows[r][i];
                    }
                    XYSeries s = c.addSeries("draws", x, y);
                    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                    s.setMarker(SeriesMarkers.CIRCLE);
                    s.setMarkerColor(new Color(76, 114, 176, 90));
                    c.getStyler().setMarkerSize(4);
                    c.getStyler().setXAxisDecimalPattern("#.###");
                    limitX(c, ranges[j]);
                    if (ranges[i] != null) {
                        c.getStyler().setYAxisMin(ranges[i][0]);
                        c.getStyler().setYAxisMax(ranges[i][1]);
                    }
                    panels.add(c);
                } else {
                    panels.add(null);
                }
            }
        }
        return panels;
    }

    private static void limitX(XYChart c, double[] range) {
        if (range != null) {
            c.getStyler().setXAxisMin(range[0]);
            c.getStyler().setXAxisMax(range[1]);
        }
    }

    /** Traces of one variable, a line per chain, x the draw index within the chain (long chains thinned for drawing). */
    public static Figure traces(String name, double[][] chains, double rhat) {
        XYChart c = xy(WIDTH, HEIGHT, String.format(Locale.ROOT, "%s: traces of %d chains, R-hat %.3f", name, chains.length, rhat),
                "draw", name);
        c.getStyler().setLegendVisible(chains.length <= 8);
        c.getStyler().setXAxisDecimalPattern("#");
        for (int ch = 0; ch < chains.length; ch++) {
            int n = chains[ch].length;
            int step = Math.max(1, n / 1000);
            int m = (n + step - 1) / step;
            double[] x = new double[m];
            double[] y = new double[m];
            for (int i = 0; i < m; i++) {
                x[i] = (double) i * step;
                y[i] = chains[ch][i * step];
            }
            XYSeries s = c.addSeries("chain " + ch, x, y);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(CHAIN_COLOURS[ch % CHAIN_COLOURS.length]);
            s.setLineWidth(0.8f);
        }
        // Draw indices are equally spaced, and XChart then puts its ticks on data points with labels
        // ("3850 7700 11550") that run into each other; one point drawn in no colour half a step after
        // the first breaks the spacing, and XChart picks round ticks that fit.
        int step = Math.max(1, chains[0].length / 1000);
        XYSeries off = c.addSeries(" ", new double[] {step / 2.0}, new double[] {chains[0][0]});
        off.setMarker(SeriesMarkers.NONE);
        off.setLineColor(new Color(0, 0, 0, 0));
        off.setShowInLegend(false);
        return Figure.of(c);
    }

    /**
     * Importance weights sorted from the largest down, log10 of each relative to the largest, against
     * the rank on a log scale; a dashed line marks the tail that k-hat's Pareto fit uses.
     */
    public static Figure weights(double[] logWeights, double khat, double ess) {
        double[] sorted = Arrays.stream(logWeights).filter(v -> v > Double.NEGATIVE_INFINITY).sorted().toArray();
        int n = sorted.length;
        String verdict = Double.isNaN(khat) ? "not estimable" : khat <= 0.5 ? "good" : khat <= ParetoK.threshold(logWeights.length) ? "usable"
                : "unreliable";
        XYChart c = xy(WIDTH, HEIGHT, String.format(Locale.ROOT, "Importance weights: k-hat %.2f (%s), ESS %.0f of %d", khat,
                verdict, ess, logWeights.length), "rank (largest weight first)", "log10 weight / largest");
        c.getStyler().setXAxisLogarithmic(true);
        if (n == 0) {
            return Figure.of(c);
        }
        double max = sorted[n - 1];
        int step = Math.max(1, n / 2000);
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int r = 0; r < n; r = r < 200 ? r + 1 : r + step) {
            xs.add(r + 1.0);
            ys.add((sorted[n - 1 - r] - max) / Math.log(10));
        }
        XYSeries s = c.addSeries("weights", xs, ys);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(BAR);
        double low = ys.stream().mapToDouble(Double::doubleValue).min().orElse(-1);
        int tail = Math.min(ParetoK.tailLength(logWeights.length), n);
        XYSeries t = c.addSeries("Pareto tail (" + tail + ")", new double[] {tail, tail}, new double[] {low, 0});
        dashed(t, Color.GRAY);
        c.getStyler().setLegendVisible(true);
        return Figure.of(c);
    }

    /** Training and validation loss against traces trained on. */
    public static Figure loss(double[] traces, double[] trainLoss, double[] validLoss) {
        XYChart c = xy(WIDTH, HEIGHT, "Training", "traces", "loss");
        c.getStyler().setLegendVisible(true);
        XYSeries t = c.addSeries("training loss", traces, trainLoss);
        t.setMarker(SeriesMarkers.NONE);
        t.setLineColor(CHAIN_COLOURS[0]);
        XYSeries v = c.addSeries("validation loss", traces, validLoss);
        v.setMarker(SeriesMarkers.CIRCLE);
        v.setLineColor(CHAIN_COLOURS[1]);
        v.setMarkerColor(CHAIN_COLOURS[1]);
        return Figure.of(c);
    }

    /** SBC rank counts per bin with the 99% band and the expectation of uniform ranks. */
    public static Figure sbcRanks(String name, Sbc.Uniformity u) {
        long[] counts = u.counts();
        double[] x = new double[counts.length];
        double[] y = new double[counts.length];
        for (int i = 0; i < counts.length; i++) {
            x[i] = i;
            y[i] = counts[i];
        }
        CategoryChart c = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(String.format(Locale.ROOT, "%s: SBC ranks, chi-square p = %.3g", name, u.pValue()))
                .xAxisTitle("rank bin").yAxisTitle("runs").build();
        style(c.getStyler());
        c.getStyler().setLegendVisible(true);
        c.getStyler().setOverlapped(true);
        c.addSeries("ranks", x, y).setFillColor(BAR);
        double[] band = u.band();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        String[] labels = {"99% band", "expected", ""};
        double[] levels = {band[0], u.expected(), band[1]};
        for (int i = 0; i < 3; i++) {
            org.knowm.xchart.CategorySeries line = c.addSeries(labels[i].isEmpty() ? "99% band " : labels[i], x,
                    constant(counts.length, levels[i]));
            line.setChartCategorySeriesRenderStyle(org.knowm.xchart.CategorySeries.CategorySeriesRenderStyle.Line);
            line.setMarker(SeriesMarkers.NONE);
            line.setLineColor(i == 1 ? Color.BLACK : Color.GRAY);
            line.setShowInLegend(!labels[i].isEmpty());
            if (i != 1) {
                line.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
            }
        }
        return Figure.of(c);
    }

    private static XYChart histogramChart(String name, double[] values, double[] weights, int width, int height, boolean legend) {
        double[] x = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        double[] w = new double[x.length];
        for (int i = 0, j = 0; i < values.length; i++) {
            if (!Double.isNaN(values[i])) {
                w[j++] = weights == null ? 1 : weights[i];
            }
        }
        XYChart c = xy(width, height, legend ? name : "", name, legend ? "density" : "");
        if (x.length == 0) {
            return c;
        }
        Sorting.sortTogether(x, w);
        double total = Arrays.stream(w).sum();
        double sumSq = Arrays.stream(w).map(v -> v * v).sum();
        double[] range = sortedRange(x, w, total);
        double lo = range[0];
        double hi = range[1];
        int bins;
        if (range[2] == 1) {
            bins = (int) Math.round(hi - lo);
        } else {
            // Rice's rule on the effective sample size: enough bins to show shape, few enough to be smooth.
            double ess = total * total / sumSq;
            bins = (int) Math.max(10, Math.min(80, Math.ceil(2 * Math.cbrt(ess))));
        }
        double binWidth = (hi - lo) / bins;
        double[] mass = new double[bins];
        for (int i = 0; i < x.length; i++) {
            int b = (int) Math.floor((x[i] - lo) / binWidth);
            if (b >= 0 && b < bins) {
                mass[b] += w[i];
            } else if (x[i] == hi) {
                mass[bins - 1] += w[i];
            }
        }
        double[] px = new double[2 * bins + 2];
        double[] py = new double[2 * bins + 2];
        double peak = 0;
        for (int b = 0; b < bins; b++) {
            double density = mass[b] / total / binWidth;
            peak = Math.max(peak, density);
            px[2 * b + 1] = lo + b * binWidth;
            py[2 * b + 1] = density;
            // The last edge is hi itself: lo + bins * binWidth may round past it, and XChart refuses an area
            // whose x values go back.
            px[2 * b + 2] = b + 1 == bins ? hi : lo + (b + 1) * binWidth;
            py[2 * b + 2] = density;
        }
        px[0] = lo;
        px[2 * bins + 1] = hi;
        XYSeries s = c.addSeries(name, px, py);
        s.setMarker(SeriesMarkers.NONE);
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        s.setFillColor(new Color(76, 114, 176, 160));
        s.setLineColor(BAR);
        // The quantiles' lines are drawn on the corner plot's diagonal too, without a legend. Besides, they
        // keep XChart from placing the x ticks on the bin edges, which it does when every x value is
        // equally spaced (labels such as -2.491, -1.187 that run into each other in a small panel).
        for (double p : QUANTILES) {
            double q = weightedQuantile(x, w, total, p);
            XYSeries line = c.addSeries(String.format(Locale.ROOT, "%.0f%%: %.4g", 100 * p, q), new double[] {q, q},
                    new double[] {0, peak});
            dashed(line, p == 0.5 ? Color.BLACK : Color.DARK_GRAY);
        }
        c.getStyler().setLegendVisible(legend);
        return c;
    }

    /** The x range a histogram of {@code values} spans ({@link #histogram}), or null when no value is present. */
    static double[] histogramRange(double[] values, double[] weights) {
        double[] x = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        if (x.length == 0) {
            return null;
        }
        double[] w = new double[x.length];
        for (int i = 0, j = 0; i < values.length; i++) {
            if (!Double.isNaN(values[i])) {
                w[j++] = weights == null ? 1 : weights[i];
            }
        }
        Sorting.sortTogether(x, w);
        double[] range = sortedRange(x, w, Arrays.stream(w).sum());
        return new double[] {range[0], range[1]};
    }

    /**
     * The central 99.8% of the weight of sorted values, widened by half a unit each side for
     * integers spanning at most 60 (unit bins) or for a single value: {lo, hi, 1 for unit bins else 0}.
     */
    private static double[] sortedRange(double[] x, double[] w, double total) {
        double lo = weightedQuantile(x, w, total, 0.001);
        double hi = weightedQuantile(x, w, total, 0.999);
        boolean integers = Arrays.stream(x).allMatch(v -> v == Math.rint(v)) && hi - lo <= 60;
        if (integers || hi <= lo) {
            lo -= 0.5;
            hi += 0.5;
        }
        return new double[] {lo, hi, integers ? 1 : 0};
    }

    /** The smallest value whose cumulative weight reaches p of the total (values sorted). */
    private static double weightedQuantile(double[] sorted, double[] w, double total, double p) {
        double cum = 0;
        for (int i = 0; i < sorted.length; i++) {
            cum += w[i];
            if (cum >= p * total) {
                return sorted[i];
            }
        }
        return sorted[sorted.length - 1];
    }

    /**
     * One variable's distribution per class, before and after planing (docs/planing.md): two panels
     * side by side, each with a weighted density per class as steps over the same 40 equal-width
     * bins, from the pooled 0.5% to the 99.5% quantile (events outside are left out).
     *
     * @param values        [class][event]
     * @param rawWeights    [class][event], null for equal weights
     * @param planedWeights [class][event]
     */
    public static Figure planed(String name, List<String> classes, double[][] values, double[][] rawWeights,
            double[][] planedWeights) {
        double[] pooled = Arrays.stream(values).flatMapToDouble(Arrays::stream).filter(Double::isFinite).sorted().toArray();
        double low = pooled[(int) Math.floor(0.005 * (pooled.length - 1))];
        double high = pooled[(int) Math.ceil(0.995 * (pooled.length - 1))];
        if (!(high > low)) {
            high = low + 1;
        }
        int size = 480;
        List<Chart<?, ?>> panels = new ArrayList<>();
        for (int panel = 0; panel < 2; panel++) {
            XYChart c = xy(size, size * 2 / 3, name + (panel == 0 ? ", as simulated" : ", planed"), name, "density");
            c.getStyler().setLegendVisible(true);
            c.getStyler().setXAxisDecimalPattern("#,##0.###");
            for (int k = 0; k < values.length; k++) {
                double[] w = panel == 0 ? (rawWeights == null ? null : rawWeights[k]) : planedWeights[k];
                double[][] steps = steps(values[k], w, low, high, 40);
                XYSeries line = c.addSeries(classes.get(k), steps[0], steps[1]);
                line.setMarker(SeriesMarkers.NONE);
                line.setLineColor(CHAIN_COLOURS[k % CHAIN_COLOURS.length]);
            }
            panels.add(c);
        }
        return Figure.grid(panels, 2, size, size * 2 / 3);
    }

    /** A weighted density over equal bins of [low, high], as the corners of its steps. */
    private static double[][] steps(double[] values, double[] weights, double low, double high, int bins) {
        double width = (high - low) / bins;
        double[] h = new double[bins];
        double total = 0;
        for (int i = 0; i < values.length; i++) {
            double w = weights == null ? 1 : weights[i];
            total += w;
            int b = (int) Math.floor((values[i] - low) / width);
            if (values[i] >= low && values[i] <= high) {
                h[Math.min(b, bins - 1)] += w;
            }
        }
        double[] x = new double[2 * bins];
        double[] y = new double[2 * bins];
        for (int b = 0; b < bins; b++) {
            x[2 * b] = low + b * width;
            x[2 * b + 1] = low + (b + 1) * width;
            y[2 * b] = total > 0 ? h[b] / (total * width) : 0;
            y[2 * b + 1] = y[2 * b];
        }
        return new double[][] {x, y};
    }

    /**
     * ROC curves: for each labelled curve its false-positive rates {@code curves.get(i)[0]} and
     * true-positive rates {@code [1]}, with the diagonal of a classifier that guesses.
     */
    public static Figure roc(String title, List<String> labels, List<double[][]> curves) {
        XYChart c = xy(WIDTH, WIDTH * 3 / 4, title, "background efficiency (false-positive rate)",
                "signal efficiency (true-positive rate)");
        c.getStyler().setLegendVisible(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        c.getStyler().setXAxisMin(0.0);
        c.getStyler().setXAxisMax(1.0);
        c.getStyler().setYAxisMin(0.0);
        c.getStyler().setYAxisMax(1.0);
        for (int i = 0; i < curves.size(); i++) {
            XYSeries s = c.addSeries(labels.get(i), curves.get(i)[0], curves.get(i)[1]);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(CHAIN_COLOURS[i % CHAIN_COLOURS.length]);
        }
        dashed(c.addSeries("guessing", new double[] {0, 1}, new double[] {0, 1}), Color.GRAY);
        return Figure.of(c);
    }

    private static XYChart xy(int width, int height, String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(c.getStyler());
        c.getStyler().setLegendVisible(false);
        return c;
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(false);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    }

    private static void dashed(XYSeries s, Color colour) {
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(colour);
        s.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
    }

    private static double[] constant(int n, double v) {
        double[] out = new double[n];
        Arrays.fill(out, v);
        return out;
    }
}
