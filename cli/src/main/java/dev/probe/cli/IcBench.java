package dev.probe.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import ai.djl.Device;

import dev.probe.compiler.RunSource;
import dev.probe.compiler.Trainer;
import dev.probe.compiler.TrainingOptions;
import dev.probe.models.Builtins;
import dev.probe.proposals.Artifact;
import dev.probe.proposals.NetworkProposal;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * {@code probe bench --ic}: inference compilation's figures. For each case a pyprob-sized network
 * (LSTM 512, batch 64, Adam 1e-3) is trained from seed 1 and timed; then ic and prior importance
 * sampling each run 1,000 traces under seeds 1 to 10 (ESS per 1,000: median and worst), and one
 * long run of each at all cores gives runs per second and ESS per second.
 */
final class IcBench {

    /** A benchmark case: a built-in model, its parameters, and its training size. */
    record Case(String name, String model, Map<String, Object> parameters, long traces) {
    }

    static final List<Case> CASES = List.of(
            new Case("gaussian", "gaussian", Map.of(), 20_000),
            new Case("polar (marked loop)", "polar", Map.of(), 100_000),
            new Case("polar (plain loop)", "polar", Map.of("marked", false), 100_000));

    static final Map<String, Object> OBSERVATIONS = Map.of("obs0", 8.0, "obs1", 9.0);

    private IcBench() {
    }

    static void run(PrintWriter out, PrintWriter err, ArrayNode rows, boolean json, double scale) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (!json) {
            out.printf(Locale.ROOT, "%-20s %9s %10s %11s %11s %11s %12s %12s %12s%n", "model", "traces", "train/s",
                    "ic ESS/1k", "ic worst", "is ESS/1k", "ic runs/s", "ic ESS/s", "is ESS/s");
        }
        for (Case c : CASES) {
            Model model = Builtins.find(c.model()).orElseThrow().create(c.parameters());
            long traces = Math.max(1000, (long) (c.traces() * scale));
            err.printf("probe bench: training %s on %,d traces...%n", c.name(), traces);
            err.flush();
            TrainingOptions o = new TrainingOptions(traces, 64, 1e-3, 256, 1, cores, Device.cpu(), 0, null,
                    ProposalNetwork.Config.pyprob(), Map.of());
            Artifact a = Trainer.train(RunSource.online(model, c.model(), 1, cores, 64), o, Trainer.Listener.NONE);
            try {
                double trainRate = a.training().path("traces_per_second").asDouble();
                NetworkProposal proposal = new NetworkProposal(a.network(), 0, a.suggestedGroupSize());
                double[] icEss = new double[10];
                double[] isEss = new double[10];
                for (int seed = 1; seed <= 10; seed++) {
                    icEss[seed - 1] = Inference.importanceSampling(model).observations(OBSERVATIONS).proposal(proposal)
                            .traces(1000).seed(seed).run().ess();
                    isEss[seed - 1] = Inference.importanceSampling(model).observations(OBSERVATIONS).traces(1000).seed(seed)
                            .run().ess();
                }
                Arrays.sort(icEss);
                Arrays.sort(isEss);
                double[] ic = longRun(Inference.importanceSampling(model).proposal(proposal));
                double[] is = longRun(Inference.importanceSampling(model));
                ObjectNode r = rows.addObject();
                r.put("model", c.name());
                r.put("training_traces", traces);
                r.put("training_traces_per_second", Math.round(trainRate));
                r.put("ic_ess_per_1000_median", median(icEss));
                r.put("ic_ess_per_1000_worst", icEss[0]);
                r.put("is_ess_per_1000_median", median(isEss));
                r.put("ic_runs_per_second", Math.round(ic[0]));
                r.put("ic_ess_per_second", Math.round(ic[1]));
                r.put("is_runs_per_second", Math.round(is[0]));
                r.put("is_ess_per_second", Math.round(is[1]));
                if (!json) {
                    out.printf(Locale.ROOT, "%-20s %,9d %,10.0f %11.1f %11.1f %11.1f %,12.0f %,12.0f %,12.0f%n", c.name(), traces,
                            trainRate, median(icEss), icEss[0], median(isEss), ic[0], ic[1], is[1]);
                    out.flush();
                }
            } finally {
                a.network().close();
            }
        }
    }

    /** Runs per second and ESS per second of a run long enough (a second or more) at all cores. */
    private static double[] longRun(Inference inference) {
        int n = 2000;
        while (true) {
            long t0 = System.nanoTime();
            Posterior p = inference.observations(OBSERVATIONS).traces(n).seed(99).run();
            double s = (System.nanoTime() - t0) / 1e9;
            if (s >= 1 || n >= 50_000_000) {
                return new double[] {n / s, p.ess() / s};
            }
            n = (int) Math.min(50_000_000L, (long) (n * Math.max(2, 1.5 / Math.max(s, 1e-3))));
        }
    }

    private static double median(double[] sorted) {
        return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
