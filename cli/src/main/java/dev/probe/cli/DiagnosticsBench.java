package dev.probe.cli;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
 * next to the inference itself, on all threads, median of the repeats (after one warm-up). Each
 * repeat times the inference, then the summary table's own figures (every marginal and the ESS,
 * which probe infer computes with or without diagnostics), then {@link Diagnostics#of} alone: the
 * diagnostics' share is its time over the inference's. The diagnostics' CPU time is the sum over
 * the JVM's live threads (the parallel workers included); the inference's is the process's.
 */
final class DiagnosticsBench {

    private DiagnosticsBench() {
    }

    static void run(PrintWriter out, PrintWriter err, ArrayNode rows, boolean json, int repeats) {
        Object[][] cases = {{"gaussian", "is", 100_000}, {"gaussian", "rmh", 100_000}, {"hmm", "is", 100_000}, {"hmm", "rmh", 20_000}};
        if (!json) {
            out.printf(Locale.ROOT, "%n%-10s %-6s %9s %14s %10s %12s %16s %10s %8s%n", "model", "engine", "traces", "inference ms",
                    "(cpu ms)", "summary ms", "diagnostics ms", "(cpu ms)", "share");
        }
        for (Object[] c : cases) {
            BuiltinModel b = Builtins.all().stream().filter(m -> m.name().equals(c[0])).findFirst().orElseThrow();
            Model model = b.create(Map.of());
            String engine = (String) c[1];
            int traces = (Integer) c[2];
            err.printf("probe bench: diagnostics of %s %s...%n", b.name(), engine);
            err.flush();
            double[] infer = new double[repeats];
            double[] inferCpu = new double[repeats];
            double[] summary = new double[repeats];
            double[] diagnose = new double[repeats];
            double[] diagnoseCpu = new double[repeats];
            for (int r = -1; r < repeats; r++) {
                Inference inference = engine.equals("is") ? Inference.importanceSampling(model) : Inference.metropolisHastings(model);
                long c0 = processCpu();
                long t0 = System.nanoTime();
                Posterior p = inference.observations(b.exampleObservations()).traces(traces).seed(r + 2).run();
                long t1 = System.nanoTime();
                long c1 = processCpu();
                for (String key : p.names()) {
                    p.marginal(key);
                }
                p.ess();
                long t2 = System.nanoTime();
                long d0 = threadsCpu();
                Diagnostics.of(p);
                long d1 = threadsCpu();
                long t3 = System.nanoTime();
                if (r >= 0) {
                    infer[r] = (t1 - t0) / 1e6;
                    inferCpu[r] = (c1 - c0) / 1e6;
                    summary[r] = (t2 - t1) / 1e6;
                    diagnose[r] = (t3 - t2) / 1e6;
                    diagnoseCpu[r] = (d1 - d0) / 1e6;
                }
            }
            double i = median(infer);
            double d = median(diagnose);
            ObjectNode row = rows.addObject();
            row.put("model", b.name());
            row.put("engine", engine);
            row.put("traces", traces);
            row.put("inference_ms", Math.round(i * 10) / 10.0);
            row.put("inference_cpu_ms", Math.round(median(inferCpu) * 10) / 10.0);
            row.put("summary_ms", Math.round(median(summary) * 10) / 10.0);
            row.put("diagnostics_ms", Math.round(d * 10) / 10.0);
            row.put("diagnostics_cpu_ms", Math.round(median(diagnoseCpu) * 10) / 10.0);
            row.put("share", Math.round(1000 * d / i) / 1000.0);
            if (!json) {
                out.printf(Locale.ROOT, "%-10s %-6s %,9d %14.1f %10.0f %12.1f %16.1f %10.1f %7.1f%%%n", b.name(), engine, traces, i,
                        median(inferCpu), median(summary), d, median(diagnoseCpu), 100 * d / i);
                out.flush();
            }
        }
    }

    /** The process's CPU time in ns (clock ticks: 10 ms steps on Linux), -1 where unknown. */
    private static long processCpu() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /** The CPU time of the JVM's live threads in ns: exact, but blind to threads that ended. */
    private static long threadsCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t > 0) {
                sum += t;
            }
        }
        return sum;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
