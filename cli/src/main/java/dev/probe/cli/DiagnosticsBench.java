package dev.probe.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.diagnostics.Diagnostics;
import dev.probe.models.BuiltinModel;
import dev.probe.models.Builtins;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * {@code probe bench --models diagnostics}: what the diagnostics of probe infer's summary cost
 * next to the inference itself, on all threads, median of the repeats (after one warm-up).
 */
final class DiagnosticsBench {

    private DiagnosticsBench() {
    }

    static void run(PrintWriter out, PrintWriter err, ArrayNode rows, boolean json, int repeats) {
        Object[][] cases = {{"gaussian", "is", 100_000}, {"gaussian", "rmh", 100_000}, {"hmm", "is", 100_000}, {"hmm", "rmh", 20_000}};
        if (!json) {
            out.printf(Locale.ROOT, "%n%-10s %-6s %9s %14s %16s %8s%n", "model", "engine", "traces", "inference ms", "diagnostics ms",
                    "share");
        }
        for (Object[] c : cases) {
            BuiltinModel b = Builtins.all().stream().filter(m -> m.name().equals(c[0])).findFirst().orElseThrow();
            Model model = b.create(Map.of());
            String engine = (String) c[1];
            int traces = (Integer) c[2];
            err.printf("probe bench: diagnostics of %s %s...%n", b.name(), engine);
            err.flush();
            double[] infer = new double[repeats];
            double[] diagnose = new double[repeats];
            for (int r = -1; r < repeats; r++) {
                Inference inference = engine.equals("is") ? Inference.importanceSampling(model) : Inference.metropolisHastings(model);
                long t0 = System.nanoTime();
                Posterior p = inference.observations(b.exampleObservations()).traces(traces).seed(r + 2).run();
                long t1 = System.nanoTime();
                Diagnostics.of(p);
                long t2 = System.nanoTime();
                if (r >= 0) {
                    infer[r] = (t1 - t0) / 1e6;
                    diagnose[r] = (t2 - t1) / 1e6;
                }
            }
            double i = median(infer);
            double d = median(diagnose);
            ObjectNode row = rows.addObject();
            row.put("model", b.name());
            row.put("engine", engine);
            row.put("traces", traces);
            row.put("inference_ms", Math.round(i * 10) / 10.0);
            row.put("diagnostics_ms", Math.round(d * 10) / 10.0);
            if (!json) {
                out.printf(Locale.ROOT, "%-10s %-6s %,9d %14.1f %16.1f %7.1f%%%n", b.name(), engine, traces, i, d, 100 * d / (i + d));
                out.flush();
            }
        }
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
