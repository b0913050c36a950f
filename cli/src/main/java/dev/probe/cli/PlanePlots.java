package dev.probe.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.probe.diagnostics.Figure;
import dev.probe.diagnostics.Plots;
import dev.probe.diagnostics.Report;
import dev.probe.planing.Events;
import dev.probe.planing.Study;

/**
 * {@code probe plane --plots DIR}: per planed row and variable, the variable's distribution per
 * class as simulated and planed; per classifier, the ROC curves of every row; each as PNG and SVG,
 * and all of them in report.html.
 */
final class PlanePlots {

    private static final List<String> CLASSES = List.of("signal", "background");

    private PlanePlots() {
    }

    /** Writes the figures into {@code dir} (which exists); returns the files written. */
    static List<Path> write(Path dir, String signal, String background, Events s, Events b, List<Study.Row> rows)
            throws IOException {
        List<Figure> figures = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Study.Row r : rows) {
            List<String> planed = r.configuration().planed();
            for (String v : planed) {
                figures.add(Plots.planed(v, CLASSES, new double[][] {s.scalar(v), b.scalar(v)}, null, r.weights()));
                captions.add(v + " per class, as simulated and planed in " + String.join(" and ", planed));
                names.add("planed-" + file(String.join("-", planed)) + (planed.size() > 1 ? "-" + file(v) : ""));
            }
        }
        for (String kind : List.of("linear", "deep")) {
            List<String> labels = new ArrayList<>();
            List<double[][]> curves = new ArrayList<>();
            for (Study.Row r : rows) {
                Study.Result result = kind.equals("linear") ? r.linear() : r.deep();
                labels.add(String.format(Locale.ROOT, "%s (AUC %.3f)", r.configuration().label(), result.auc().value()));
                curves.add(result.roc());
            }
            figures.add(Plots.roc("ROC curves, " + kind + " classifier, held-out events", labels, curves));
            captions.add("ROC curves of the " + kind + " classifier");
            names.add("roc-" + kind);
        }
        List<Path> written = new ArrayList<>();
        for (int i = 0; i < figures.size(); i++) {
            for (String ext : List.of(".png", ".svg")) {
                Path file = dir.resolve(names.get(i) + ext);
                figures.get(i).write(file);
                written.add(file);
            }
        }
        Path html = dir.resolve("report.html");
        Report.ofFigures("Planing: " + signal + " against " + background, "Weighted distributions are densities; planed"
                + " rows use the planing weights of all events, ROC curves the held-out events' (docs/planing.md).", figures,
                captions).write(html);
        written.add(html);
        return written;
    }

    /** A name fit for a file: letters, digits, '-', '_' and '.', anything else '_'. */
    private static String file(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
