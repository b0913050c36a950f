package dev.probe.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

/** Every plot renders to a PNG of its size with something drawn, and to well-formed SVG; kept under target/plots. */
class PlotsTest {

    private static final Path OUT = Path.of("target", "plots");

    @Test
    void everyPlotRendersToPngAndSvg() throws Exception {
        Files.createDirectories(OUT);
        double[][] chains = ConvergenceTest.ar1(4, 1000, 0.7, 0, 31);
        for (int i = 0; i < 1000; i++) {
            chains[3][i] += 2;
        }
        double[] pooled = Convergence.pool(chains);
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(2, 3);
        double[] second = new double[pooled.length];
        double[] logWeights = new double[pooled.length];
        int[] ranks = new int[200];
        for (int i = 0; i < pooled.length; i++) {
            second[i] = 0.5 * pooled[i] + rng.nextDouble();
            logWeights[i] = 2 * pooled[i];
        }
        for (int i = 0; i < ranks.length; i++) {
            ranks[i] = rng.nextInt(100);
        }
        double[][] rows = new double[pooled.length][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new double[] {pooled[i], second[i]};
        }
        check("histogram", Plots.histogram("mu", pooled, null));
        check("histogram-discrete", Plots.histogram("r", new double[] {0, 1, 1, 2, 2, 2, 3, 5}, new double[] {1, 1, 1, 1, 1, 1, 1, 4}));
        check("corner", Plots.corner(List.of("mu", "nu"), new double[][] {pooled, second}, null, rows));
        check("traces", Plots.traces("mu", chains, Convergence.rhat(chains)));
        check("weights", Plots.weights(logWeights, ParetoK.khat(logWeights), 123));
        check("loss", Plots.loss(new double[] {100, 200, 300, 400}, new double[] {3, 2, 1.5, 1.4}, new double[] {3.2, 2.4, 1.8, 1.7}));
        check("sbc", Plots.sbcRanks("mu", Sbc.uniformity(ranks, 99, 20)));
    }

    private static void check(String name, Figure f) throws Exception {
        Path png = OUT.resolve(name + ".png");
        Path svg = OUT.resolve(name + ".svg");
        f.write(png);
        f.write(svg);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(Files.readAllBytes(png)));
        assertEquals(f.width(), image.getWidth(), name);
        assertEquals(f.height(), image.getHeight(), name);
        int dark = 0;
        for (int y = 0; y < image.getHeight(); y += 2) {
            for (int x = 0; x < image.getWidth(); x += 2) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                if (rgb != 0xFFFFFF) {
                    dark++;
                }
            }
        }
        assertTrue(dark > 500, name + ": almost nothing drawn (" + dark + " pixels)");
        String text = Files.readString(svg);
        assertTrue(text.contains("<svg"), name);
        DocumentBuilderFactory xml = DocumentBuilderFactory.newInstance();
        // Well-formed is what matters; the DTD it names is not fetched.
        xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        xml.newDocumentBuilder().parse(svg.toFile());
    }

    /** A corner plot's column shares its x axis with its histogram, and a row's scatter plots their y axis. */
    @Test
    void cornerPanelsOfAColumnShareTheirXAxis() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(5, 6);
        int n = 5000;
        double[] a = new double[n];
        double[] b = new double[n];
        double[] c = new double[n];
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            // Three scales far apart, with an outlier or two that the histograms' central 99.8% leave out.
            a[i] = rng.nextDouble();
            b[i] = 100 + 50 * rng.nextDouble() + (i == 7 ? 1e4 : 0);
            c[i] = -3 * rng.nextDouble();
            rows[i] = new double[] {a[i], b[i], c[i]};
        }
        List<org.knowm.xchart.XYChart> panels = Plots.cornerPanels(List.of("a", "b", "c"), new double[][] {a, b, c}, null, rows,
                200);
        for (int i = 0; i < 3; i++) {
            double[] range = Plots.histogramRange(new double[][] {a, b, c}[i], null);
            assertTrue(range[1] < 1e3 || i != 1, "the outlier is outside b's range");
            for (int row = i; row < 3; row++) {
                org.knowm.xchart.XYChart p = panels.get(3 * row + i);
                assertEquals(range[0], p.getStyler().getXAxisMin(), 0.0, "panel " + row + "," + i);
                assertEquals(range[1], p.getStyler().getXAxisMax(), 0.0, "panel " + row + "," + i);
            }
            for (int col = 0; col < i; col++) {
                org.knowm.xchart.XYChart p = panels.get(3 * i + col);
                assertEquals(range[0], p.getStyler().getYAxisMin(), 0.0, "panel " + i + "," + col);
                assertEquals(range[1], p.getStyler().getYAxisMax(), 0.0, "panel " + i + "," + col);
            }
        }
    }

    /**
     * The corner plot's and the trace plot's x tick labels are round numbers a round step apart and do not run
     * into each other. In the corner plot, for weighted draws too: with their few bins, every x value of a bare histogram is a bin edge, equally spaced,
     * and XChart then put its ticks on the edges (labels -2.491, -1.187, 0.118 in a 180-pixel panel).
     */
    @Test
    void tickLabelsAreRoundAndApart() throws Exception {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(7, 8);
        int n = 10_000;
        double[] a = new double[n];
        double[] b = new double[n];
        double[] weights = new double[n];
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = -2 + 4 * rng.nextDouble();
            b[i] = 2 + 1.3 * (rng.nextDouble() - 0.5);
            weights[i] = Math.exp(6 * rng.nextDouble());
            rows[i] = new double[] {a[i], b[i]};
        }
        for (int size : new int[] {180, 320}) {
            List<org.knowm.xchart.XYChart> panels = Plots.cornerPanels(List.of("a", "b"), new double[][] {a, b}, weights, rows, size);
            for (int k : new int[] {0, 2, 3}) {
                assertXTicksRoundAndApart(panels.get(k), size, size, "corner panel " + k + " at " + size + " px");
            }
        }
        // Trace plots: draw indices are equally spaced too, for short chains (every draw) and long ones (thinned).
        for (int length : new int[] {1000, 50_000}) {
            double[][] chains = ConvergenceTest.ar1(4, length, 0.5, 0, 33);
            Figure f = Plots.traces("mu", chains, 1.0);
            assertXTicksRoundAndApart((org.knowm.xchart.XYChart) f.panels().get(0), f.width(), f.height(), "traces of " + length);
        }
    }

    private static void assertXTicksRoundAndApart(org.knowm.xchart.XYChart chart, int width, int height, String name) throws Exception {
        chart.paint(new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB).createGraphics(), width, height);
        org.knowm.xchart.internal.chartpart.AxisTickCalculator ticks = xTicks(chart);
        List<Double> at = ticks.getTickLocations();
        List<String> labels = ticks.getTickLabels();
        String what = name + ": " + labels;
        assertTrue(labels.size() >= 2, what);
        java.awt.font.FontRenderContext frc = new java.awt.font.FontRenderContext(null, true, true);
        java.awt.Font font = chart.getStyler().getAxisTickLabelsFont();
        double step = Double.parseDouble(labels.get(1)) - Double.parseDouble(labels.get(0));
        double decade = Math.pow(10, Math.floor(Math.log10(step)));
        double mantissa = step / decade;
        assertTrue(Math.abs(mantissa - Math.rint(mantissa)) < 1e-9 && List.of(1.0, 2.0, 5.0).contains(Math.rint(mantissa)),
                "a step of 1, 2 or 5 times a power of ten: " + what);
        for (int t = 0; t + 1 < labels.size(); t++) {
            double half = (font.getStringBounds(labels.get(t), frc).getWidth() + font.getStringBounds(labels.get(t + 1), frc).getWidth()) / 2;
            assertTrue(at.get(t + 1) - at.get(t) > half, "labels " + t + " and " + (t + 1) + " overlap: " + what);
        }
    }

    /** The x axis's ticks of a painted chart, from XChart's internals (it has no public view of them). */
    private static org.knowm.xchart.internal.chartpart.AxisTickCalculator xTicks(org.knowm.xchart.XYChart chart) throws Exception {
        java.lang.reflect.Field pair = org.knowm.xchart.internal.chartpart.Chart.class.getDeclaredField("axisPair");
        pair.setAccessible(true);
        Object axis = ((org.knowm.xchart.internal.chartpart.AxisPair<?, ?>) pair.get(chart)).getXAxis();
        java.lang.reflect.Field calculator = org.knowm.xchart.internal.chartpart.Axis.class.getDeclaredField("axisTickCalculator");
        calculator.setAccessible(true);
        return (org.knowm.xchart.internal.chartpart.AxisTickCalculator) calculator.get(axis);
    }
}
