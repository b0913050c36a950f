package dev.probe.cli;

import java.util.Locale;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.diagnostics.Diagnostics;

/** The diagnostics part of {@code probe infer}'s summary: lines for the table, an object for JSON. */
final class DiagnosticsOutput {

    private DiagnosticsOutput() {
    }

    /** The "diagnostics" object of the JSON summary. */
    static ObjectNode json(Diagnostics d) {
        ObjectNode node = Json.NODES.objectNode();
        if (!d.variables().isEmpty()) {
            ObjectNode vars = node.putObject("variables");
            for (Diagnostics.VariableCheck v : d.variables()) {
                ObjectNode o = vars.putObject(v.name());
                number(o, "rhat", v.rhat());
                number(o, "ess_bulk", v.essBulk());
                number(o, "ess_tail", v.essTail());
            }
        }
        if (d.weights() != null) {
            number(node, "khat", d.weights().khat());
            number(node, "ess", d.weights().ess());
        }
        node.put("ok", d.ok());
        d.warnings().forEach(node.putArray("warnings")::add);
        return node;
    }

    /** Lines for the table: the figures, then one "warning:" line per warning. */
    static String table(Diagnostics d) {
        StringBuilder sb = new StringBuilder();
        String nl = System.lineSeparator();
        if (!d.variables().isEmpty()) {
            int width = "variable".length();
            for (Diagnostics.VariableCheck v : d.variables()) {
                width = Math.max(width, v.name().length());
            }
            sb.append(String.format(Locale.ROOT, "%-" + width + "s  %7s  %9s  %9s%n", "variable", "R-hat", "ESS bulk", "ESS tail"));
            for (Diagnostics.VariableCheck v : d.variables()) {
                sb.append(String.format(Locale.ROOT, "%-" + width + "s  %7.4f  %9.1f  %9.1f%n", v.name(), v.rhat(), v.essBulk(),
                        v.essTail()));
            }
        }
        if (d.weights() != null) {
            double k = d.weights().khat();
            sb.append(Double.isNaN(k) ? "Pareto k-hat: not estimable (too few runs or equal weights)"
                    : String.format(Locale.ROOT, "Pareto k-hat %.2f (%s)", k, k <= 0.5 ? "good" : k <= dev.probe.diagnostics.ParetoK.threshold(d.weights().runs())
                            ? "usable" : "unreliable")).append(nl);
        }
        for (String w : d.warnings()) {
            sb.append("warning: ").append(w).append(nl);
        }
        return sb.toString();
    }

    private static void number(ObjectNode node, String key, double v) {
        if (Double.isFinite(v)) {
            node.put(key, v);
        } else {
            node.putNull(key);
        }
    }
}
