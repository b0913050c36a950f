package dev.probe.diagnostics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;

/**
 * One self-contained HTML page about a result: what it is, the summary, each diagnostic with a
 * verdict, and the plots, inlined as PNG data URIs, so that the page needs no network and no
 * other file when it is viewed. For a saved posterior, a trained network, or an SBC calibration.
 */
public final class Report {

    /** Variables plotted one by one; the rest are in the tables only. */
    public static final int MAX_PLOTTED = 12;
    /** Variables in the corner plot. */
    public static final int MAX_CORNER = 6;

    private final StringBuilder body = new StringBuilder();
    private final String title;

    private Report(String title) {
        this.title = title;
    }

    /** The report of a posterior: summary, diagnostics, marginals, corner plot, traces or weights. */
    public static Report of(Posterior p, String label) {
        Report r = new Report("Posterior of " + label);
        Map<String, String> info = p.info();
        r.paragraph(String.format(Locale.ROOT, "Engine <b>%s</b>, %,d %s, seed %s.", esc(info.getOrDefault("engine", "?")), p.size(),
                p.chainLengths() == null ? "runs" : "draws in " + p.chainLengths().length + " chains",
                esc(info.getOrDefault("seed", "?"))));
        if (info.containsKey(ParetoSmoothing.INFO_KEY)) {
            // The figures below are of the smoothed weights; the diagnostics' k-hat is the raw weights'.
            r.paragraph(esc(info.get(ParetoSmoothing.INFO_KEY)) + ": the summary, marginals and weights plot are of the"
                    + " smoothed weights, k-hat of the raw ones.");
        }
        r.summary(p);
        Diagnostics d = Diagnostics.of(p);
        r.diagnostics(d);
        List<String> names = Draws.scalarNames(p);
        double[] weights = p.isWeighted() ? Draws.weights(p) : null;
        r.heading("Marginals");
        for (String name : names.subList(0, Math.min(names.size(), MAX_PLOTTED))) {
            r.figure(Plots.histogram(name, Draws.column(p, name), weights), "Marginal of " + name);
        }
        List<String> corner = new ArrayList<>();
        for (String name : names) {
            if (corner.size() < MAX_CORNER && Draws.complete(Draws.column(p, name))) {
                corner.add(name);
            }
        }
        if (corner.size() >= 2) {
            Samples s = Samples.of(p);
            double[][] columns = new double[corner.size()][];
            for (int i = 0; i < columns.length; i++) {
                columns[i] = s.column(corner.get(i));
            }
            r.heading("Corner plot");
            r.figure(Plots.corner(corner, columns, weights, s.equallyWeighted(corner, 1000, 1)), "Corner plot of " + corner);
        }
        if (p.chainLengths() != null) {
            r.heading("Traces");
            for (Diagnostics.VariableCheck v : d.variables().subList(0, Math.min(d.variables().size(), MAX_PLOTTED))) {
                double[][] chains = Draws.chains(Draws.column(p, v.name()), p.chainLengths());
                r.figure(Plots.traces(v.name(), chains, v.rhat()), "Traces of " + v.name());
            }
        }
        if (d.weights() != null) {
            r.heading("Importance weights");
            r.figure(Plots.weights(p.logWeights(), d.weights().khat(), d.weights().ess()), "Sorted importance weights");
        }
        return r;
    }

    /** The report of a trained network from its network.json: model, training settings, loss curves. */
    public static Report ofNetwork(JsonNode network, Path dir) {
        Report r = new Report("Network " + dir.getFileName());
        JsonNode model = network.path("model");
        JsonNode training = network.path("training");
        r.paragraph("Trained for <b>" + esc(model.path("label").asText("?")) + "</b> (" + esc(model.path("identity").asText("?"))
                + ").");
        r.heading("Training");
        r.body.append("<table>");
        training.fields().forEachRemaining(e -> {
            if (!e.getValue().isContainerNode()) {
                r.body.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue().asText()))
                        .append("</td></tr>");
            }
        });
        r.body.append("</table>");
        JsonNode history = training.path("history");
        int n = history.size();
        List<String> checks = new ArrayList<>();
        if (n >= 2) {
            double[] traces = new double[n];
            double[] train = new double[n];
            double[] valid = new double[n];
            for (int i = 0; i < n; i++) {
                traces[i] = history.get(i).path("traces").asDouble();
                train[i] = history.get(i).path("train_loss").asDouble();
                valid[i] = history.get(i).path("valid_loss").asDouble();
            }
            double best = Double.POSITIVE_INFINITY;
            for (double v : valid) {
                best = Math.min(best, v);
            }
            // Still improving over the last quarter of training: more traces would help.
            double quarter = valid[Math.max(0, (3 * n) / 4 - 1)];
            boolean improving = valid[n - 1] < quarter - 0.01 * Math.abs(quarter);
            boolean overfitting = valid[n - 1] > best + 0.05 * Math.abs(best) && train[n - 1] < train[(3 * n) / 4];
            r.heading("Diagnostics");
            r.verdicts(List.of(
                    new String[] {"validation loss at the end", String.format(Locale.ROOT, "%.4g (best %.4g)", valid[n - 1], best),
                        overfitting ? "warn" : "pass", overfitting ? "the validation loss rose while the training loss fell:"
                                + " the network overfits; train on more distinct traces (a larger dataset) or stop earlier"
                                : "no sign of overfitting"},
                    new String[] {"still improving", improving ? "yes" : "no", improving ? "warn" : "pass", improving
                        ? "the validation loss still fell over the last quarter: train longer (probe compile --traces)"
                        : "the validation loss has levelled off"}));
            r.heading("Loss");
            r.figure(Plots.loss(traces, train, valid), "Training and validation loss");
        } else {
            checks.add("The history holds fewer than two points: nothing to plot.");
            r.paragraph(esc(checks.get(0)));
        }
        return r;
    }

    /** Adds an SBC section: per variable the chi-square test, its verdict, and the rank histogram. */
    public static Report ofCalibration(String title, String description, List<String> names, List<Sbc.Uniformity> tests,
            double alpha) {
        Report r = new Report(title);
        r.paragraph(esc(description));
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            Sbc.Uniformity u = tests.get(i);
            boolean pass = u.pValue() >= alpha;
            rows.add(new String[] {"ranks of " + names.get(i), String.format(Locale.ROOT, "chi-square %.2f on %d df, p = %.3g",
                    u.statistic(), u.degreesOfFreedom(), u.pValue()), pass ? "pass" : "fail", pass
                            ? "ranks consistent with uniform: calibrated" : "ranks not uniform: the posteriors are miscalibrated"});
        }
        r.heading("Diagnostics");
        r.verdicts(rows);
        r.heading("Rank histograms");
        for (int i = 0; i < names.size(); i++) {
            r.figure(Plots.sbcRanks(names.get(i), tests.get(i)), "SBC ranks of " + names.get(i));
        }
        return r;
    }

    /** A page of figures under one description, each with its caption (probe plane --plots). */
    public static Report ofFigures(String title, String description, List<Figure> figures, List<String> captions) {
        Report r = new Report(title);
        r.paragraph(esc(description));
        for (int i = 0; i < figures.size(); i++) {
            r.heading(captions.get(i));
            r.figure(figures.get(i), captions.get(i));
        }
        return r;
    }

    private void summary(Posterior p) {
        heading("Summary");
        body.append("<table><tr><th>variable</th><th>mean</th><th>sd</th><th>5%</th><th>50%</th><th>95%</th></tr>");
        for (String name : p.names()) {
            Marginal m = p.marginal(name);
            if (!m.isScalar()) {
                continue;
            }
            body.append("<tr><th>").append(esc(name)).append("</th>");
            for (double v : new double[] {m.mean(), m.stddev(), m.quantile(0.05), m.quantile(0.5), m.quantile(0.95)}) {
                body.append("<td>").append(String.format(Locale.ROOT, "%.4g", v)).append("</td>");
            }
            body.append("</tr>");
        }
        body.append("</table>");
    }

    private void diagnostics(Diagnostics d) {
        heading("Diagnostics");
        List<String[]> rows = new ArrayList<>();
        for (Diagnostics.VariableCheck v : d.variables()) {
            boolean rhatOk = !(v.rhat() > Diagnostics.RHAT_LIMIT);
            rows.add(new String[] {"R-hat of " + v.name(), String.format(Locale.ROOT, "%.4f", v.rhat()), rhatOk ? "pass" : "fail",
                rhatOk ? "chains agree (at most 1.01)" : "chains disagree: not converged"});
            double ess = Math.min(v.essBulk(), v.essTail());
            boolean essOk = ess >= Diagnostics.ESS_LIMIT;
            rows.add(new String[] {"ESS of " + v.name(), String.format(Locale.ROOT, "bulk %.0f, tail %.0f", v.essBulk(), v.essTail()),
                essOk ? "pass" : "fail", essOk ? "enough for means and quantiles (at least 100)" : "too few effective draws"});
        }
        if (d.weights() != null) {
            double k = d.weights().khat();
            double limit = ParetoK.threshold(d.weights().runs());
            String verdict = Double.isNaN(k) ? "warn" : k <= limit ? "pass" : "fail";
            rows.add(new String[] {"Pareto k-hat of the weights", String.format(Locale.ROOT, "%.2f", k), verdict,
                Double.isNaN(k) ? "not estimable" : k <= 0.5 ? "good: weights with finite variance"
                        : k <= limit ? "usable, with slower convergence" : "unreliable: heavy-tailed weights"});
            boolean essOk = d.weights().ess() >= Diagnostics.ESS_LIMIT;
            rows.add(new String[] {"effective sample size", String.format(Locale.ROOT, "%.0f of %d", d.weights().ess(), d.weights().runs()),
                essOk ? "pass" : "fail", essOk ? "at least 100" : "too few"});
        }
        if (rows.isEmpty()) {
            paragraph("Independent, equally weighted runs: nothing to diagnose beyond their number.");
        } else {
            verdicts(rows);
        }
        if (!d.warnings().isEmpty()) {
            body.append("<ul class=\"warnings\">");
            for (String w : d.warnings()) {
                body.append("<li>").append(esc(w)).append("</li>");
            }
            body.append("</ul>");
        }
    }

    /** Rows of {check, figure, pass|warn|fail, explanation}. */
    private void verdicts(List<String[]> rows) {
        body.append("<table><tr><th>check</th><th>value</th><th>verdict</th><th>meaning</th></tr>");
        for (String[] r : rows) {
            body.append("<tr><th>").append(esc(r[0])).append("</th><td>").append(esc(r[1])).append("</td><td class=\"")
                    .append(r[2]).append("\">").append(r[2]).append("</td><td>").append(esc(r[3])).append("</td></tr>");
        }
        body.append("</table>");
    }

    private void heading(String text) {
        body.append("<h2>").append(esc(text)).append("</h2>\n");
    }

    private void paragraph(String html) {
        body.append("<p>").append(html).append("</p>\n");
    }

    private void figure(Figure f, String alt) {
        body.append("<figure><img alt=\"").append(esc(alt)).append("\" width=\"").append(f.width()).append("\" height=\"")
                .append(f.height()).append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(f.png())).append("\"></figure>\n");
    }

    /** The page. */
    public String html() {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
                + "<title>" + esc(title) + "</title><style>"
                + "body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
                + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}"
                + "td.pass{background:#d8f0d8}td.warn{background:#fff2c8}td.fail{background:#f6d0d0}"
                + "ul.warnings li{color:#8a1f11;margin:.4em 0}figure{margin:1em 0}img{max-width:100%;height:auto}"
                + "</style></head><body>\n<h1>" + esc(title) + "</h1>\n" + body + "<footer><p>Written by probe report.</p></footer>"
                + "</body></html>\n";
    }

    /** Writes the page to {@code file}, whole or not at all. */
    public void write(Path file) throws IOException {
        byte[] bytes = html().getBytes(StandardCharsets.UTF_8);
        WholeFile.write(file, out -> out.write(bytes));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
