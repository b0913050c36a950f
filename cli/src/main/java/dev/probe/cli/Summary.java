package dev.probe.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.diagnostics.Diagnostics;
import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.ValueKind;

/** What {@code probe infer} prints: a table for people, or the JSON object of CLI.md. */
final class Summary {

    private final String model;
    private final String engine;
    private final int traces;
    private final long seed;
    private final double seconds;
    private final Posterior posterior;
    private final Diagnostics diagnostics;

    Summary(String model, String engine, int traces, long seed, double seconds, Posterior posterior) {
        this.model = model;
        this.engine = engine;
        this.traces = traces;
        this.seed = seed;
        this.seconds = seconds;
        this.posterior = posterior;
        this.diagnostics = Diagnostics.of(posterior);
    }

    Diagnostics diagnostics() {
        return diagnostics;
    }

    String toJson() {
        ObjectNode root = Json.NODES.objectNode();
        root.put("model", model);
        root.put("engine", engine);
        root.put("traces", traces);
        root.put("seed", seed);
        root.put("seconds", round(seconds, 4));
        putNumber(root, "ess", posterior.ess());
        String smoothing = posterior.info().get(dev.probe.diagnostics.ParetoSmoothing.INFO_KEY);
        if (smoothing != null) {
            root.put("smoothing", smoothing);
        }
        if (posterior.logEvidence().isPresent()) {
            putNumber(root, "log_evidence", posterior.logEvidence().getAsDouble());
        } else {
            root.putNull("log_evidence");
        }
        ObjectNode vars = root.putObject("variables");
        for (String key : posterior.names()) {
            vars.set(key, marginal(posterior.marginal(key)));
        }
        if (!posterior.addresses().isEmpty()) {
            ObjectNode addrs = root.putObject("addresses");
            for (String key : posterior.addresses()) {
                addrs.set(key, marginal(posterior.marginalByAddress(key)));
            }
        }
        if (posterior.hasResult()) {
            root.set("result", marginal(posterior.result()));
        } else {
            root.putNull("result");
        }
        // The engine's own figures (acceptance, fallbacks, resamplings...), as it names them.
        for (dev.probe.runtime.posterior.Diagnostics.Figure f : posterior.diagnostics().figures()) {
            if (f.integral()) {
                root.put(f.key(), (long) f.value());
            } else {
                putNumber(root, f.key(), f.value());
            }
        }
        root.set("diagnostics", DiagnosticsOutput.json(diagnostics));
        try {
            return Json.MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode marginal(Marginal m) {
        ObjectNode node = Json.NODES.objectNode();
        if (m.kind() == ValueKind.ARRAY) {
            ArrayNode mean = node.putArray("mean");
            for (double v : m.means()) {
                addNumber(mean, v);
            }
            ArrayNode sd = node.putArray("stddev");
            for (double v : m.stddevs()) {
                addNumber(sd, v);
            }
        } else if (m.isScalar()) {
            putNumber(node, "mean", m.mean());
            putNumber(node, "stddev", m.stddev());
            ObjectNode q = node.putObject("quantiles");
            m.quantiles().forEach((p, v) -> putNumber(q, probabilityKey(p), v));
        }
        if (!m.pmf().isEmpty()) {
            ObjectNode pmf = node.putObject("pmf");
            m.pmf().forEach((value, p) -> putNumber(pmf, String.valueOf(value), p));
        }
        if (m.presence() < 1 - 1e-12) {
            putNumber(node, "presence", m.presence());
        }
        return node;
    }

    private static String probabilityKey(double p) {
        String s = Double.toString(p);
        return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
    }

    private static void putNumber(ObjectNode node, String key, double v) {
        if (Double.isFinite(v)) {
            node.put(key, v);
        } else {
            node.putNull(key);
        }
    }

    private static void addNumber(ArrayNode node, double v) {
        if (Double.isFinite(v)) {
            node.add(v);
        } else {
            node.addNull();
        }
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    String toTable() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "model %s   engine %s   traces %,d   seed %d   %.2f s%n",
                model, engine, traces, seed, seconds));
        sb.append(String.format(Locale.ROOT, "effective sample size %.1f", posterior.ess()));
        if (posterior.logEvidence().isPresent()) {
            sb.append(String.format(Locale.ROOT, "   log evidence %.4f", posterior.logEvidence().getAsDouble()));
        }
        for (dev.probe.runtime.posterior.Diagnostics.Figure f : posterior.diagnostics().figures()) {
            sb.append("   ").append(f.label()).append(' ').append(f.text());
        }
        sb.append(System.lineSeparator());
        String smoothing = posterior.info().get(dev.probe.diagnostics.ParetoSmoothing.INFO_KEY);
        if (smoothing != null) {
            sb.append(smoothing).append(System.lineSeparator());
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"variable", "mean", "stddev", "5%", "50%", "95%", "distribution"});
        for (String key : posterior.names()) {
            rows.add(row(key, posterior.marginal(key)));
        }
        for (String key : posterior.addresses()) {
            rows.add(row(key, posterior.marginalByAddress(key)));
        }
        if (posterior.hasResult()) {
            rows.add(row("(result)", posterior.result()));
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                if (i == 0 || i == r.length - 1) {
                    line.append(String.format(Locale.ROOT, "%-" + width[i] + "s", r[i]));
                } else {
                    line.append(String.format(Locale.ROOT, "%" + width[i] + "s", r[i]));
                }
                line.append("  ");
            }
            sb.append(line.toString().stripTrailing()).append(System.lineSeparator());
        }
        sb.append(DiagnosticsOutput.table(diagnostics));
        return sb.toString();
    }

    private static String[] row(String key, Marginal m) {
        String pmf = pmfText(m);
        if (m.isScalar()) {
            return new String[] {key, number(m.mean()), number(m.stddev()), number(m.quantile(0.05)),
                number(m.quantile(0.5)), number(m.quantile(0.95)), pmf};
        }
        if (m.kind() == ValueKind.ARRAY) {
            return new String[] {key, "[" + m.means().length + " elements]", "", "", "", "", "use --json for arrays"};
        }
        return new String[] {key, "", "", "", "", "", pmf};
    }

    private static String pmfText(Marginal m) {
        if (m.pmf().isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        List<Map.Entry<Object, Double>> entries = new ArrayList<>(m.pmf().entrySet());
        entries.sort((a, b) -> Double.compare(b.getValue(), a.getValue()));
        for (Map.Entry<Object, Double> e : entries) {
            if (shown == 4) {
                sb.append(" ...");
                break;
            }
            sb.append(shown == 0 ? "" : " ").append(e.getKey()).append(':')
                    .append(String.format(Locale.ROOT, "%.3f", e.getValue()));
            shown++;
        }
        return sb.toString();
    }

    private static String number(double v) {
        if (!Double.isFinite(v)) {
            return String.valueOf(v);
        }
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
