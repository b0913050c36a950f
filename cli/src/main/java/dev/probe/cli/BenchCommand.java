package dev.probe.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.models.BuiltinModel;
import dev.probe.models.Builtins;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code probe bench}: runs per second of prior sampling and importance sampling for each
 * built-in model at one thread and at all threads, and the cost of one named sample statement.
 * Each figure is the median of repeated timed inferences after a warm-up of the same size; a
 * model row's inferences each do a fixed number of runs ({@code --runs}), the floor's 2^20.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "The built-in benchmarks: runs per second per model and engine, and the cost of a sample statement.")
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "1.0",
            description = "A model row's timed pairs go on until they have taken R x S seconds (the floor's: 3 x R x S);"
                    + " the scripts' and statements' timed inferences last at least S each. Default: 1.0.")
    double seconds;

    @Option(names = "--repeats", paramLabel = "R", defaultValue = "3",
            description = "Least number of timed inferences per figure (the median is kept). Default: 3.")
    int repeats;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "262144",
            description = "Runs per timed inference of a model row, the same for every row, build and machine. Default: 262144 (2^18).")
    int rowRuns;

    @Option(names = "--models", paramLabel = "NAME", split = ",", description = "Only these built-in models (comma-separated); 'scripts' for scripts against Java, 'sir' for the sbibm SIR script against its Java twin, 'statements' for the sample statement cost; 'diagnostics' for the cost of infer's diagnostics.")
    List<String> only;

    @Option(names = "--json", description = "Machine-readable results.")
    boolean json;

    @Option(names = "--ic", description = "Inference compilation instead: training traces/s, ESS per 1,000 traces over"
            + " seeds, runs/s and ESS/s of ic against is (a few minutes).")
    boolean ic;

    @Option(names = "--lstm", description = "The proposal network's training step at each LSTM width and batch size:"
            + " forward, backward and Adam against the floating-point bound of its matrix products (a minute).")
    boolean lstm;

    @Option(names = "--ic-scale", paramLabel = "F", defaultValue = "1",
            description = "With --ic: scale every training size by F (0.1 for a quick look). Default: 1.")
    double icScale;

    @Option(names = "--scripts", paramLabel = "DIR", defaultValue = "models/scripts",
            description = "Where the script twins of the built-in models are. Default: models/scripts.")
    java.nio.file.Path scripts;

    @Option(names = "--sbi", description = "The simulation-based inference benchmark (sbibm's tasks in --sbi-dir): C2ST"
            + " against reference posteriors for each engine at each simulation budget (hours at full size).")
    boolean sbi;

    @Option(names = "--sbi-tasks", paramLabel = "NAME", split = ",", description = "With --sbi: only these tasks. Default: all six.")
    List<String> sbiTasks;

    @Option(names = "--sbi-engines", paramLabel = "NAME", split = ",", description = "With --sbi: only these engines. Default: is, rmh, smc, smc-tempered, is-fitted, is-mixture.")
    List<String> sbiEngines;

    @Option(names = "--sbi-budgets", paramLabel = "N", split = ",", description = "With --sbi: simulation budgets. Default: 1000,10000,100000.")
    List<Integer> sbiBudgets;

    @Option(names = "--sbi-observations", paramLabel = "K", defaultValue = "10",
            description = "With --sbi: K of each task's 10 observations, from --sbi-first on. Default: 10.")
    int sbiObservations;

    @Option(names = "--sbi-first", paramLabel = "F", defaultValue = "1",
            description = "With --sbi: start at each task's observation F (1..10), so that ranges of observations can run"
                    + " as separate processes; each observation's figures are the same either way. Default: 1.")
    int sbiFirst;

    @Option(names = "--sbi-draws", paramLabel = "N", defaultValue = "10000",
            description = "With --sbi: posterior and reference draws per C2ST (sbibm: 10,000). Default: 10000.")
    int sbiDraws;

    @Option(names = "--sbi-raw", description = "With --sbi: C2ST on is' and smc's own draws (resampled), without the"
            + " kernel density smoothing that spreads their repeated draws (rmh's and smc-tempered's are never smoothed).")
    boolean sbiRaw;

    @Option(names = "--sbi-dir", paramLabel = "DIR", defaultValue = "models/sbibm",
            description = "With --sbi: where the task scripts and observations.json are. Default: models/sbibm.")
    java.nio.file.Path sbiDir;

    @Option(names = "--draw-observations", description = "With --sbi: draw every task's 10 observations from its script with"
            + " the fixed seeds and write them to observations.json in --sbi-dir, instead of benchmarking.")
    boolean drawObservations;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Named sample statements per run in the statement benchmark. */
    static final int STATEMENTS = 1000;

    @Override
    public Integer call() throws Exception {
        if (!(seconds > 0) || repeats <= 0 || rowRuns <= 0) {
            throw new UsageException("--seconds, --repeats and --runs must be positive");
        }
        if (only != null) {
            List<String> known = new java.util.ArrayList<>(List.of("floor", "scripts", "sir", "statements", "diagnostics"));
            Builtins.all().forEach(b -> known.add(b.name()));
            for (String name : only) {
                if (!known.contains(name)) {
                    throw new UsageException("--models: no benchmark '" + name + "'; choose from " + String.join(", ", known));
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int cores = Runtime.getRuntime().availableProcessors();
        ObjectNode root = Json.NODES.objectNode();
        root.put("cores", cores);
        root.put("java", System.getProperty("java.version"));
        ArrayNode rows = root.putArray("models");
        if (lstm) {
            dev.probe.proposals.Devices.prepare(1);
            lstmSteps(out, err, root.putArray("lstm"));
            if (json) {
                out.println(Json.MAPPER.writeValueAsString(root));
            }
            out.flush();
            return ExitCode.OK;
        }
        if (sbi) {
            return sbi(out, err, root);
        }
        if (ic) {
            if (!(icScale > 0)) {
                throw new UsageException("--ic-scale must be positive, got " + icScale);
            }
            dev.probe.proposals.Devices.prepare(1);
            IcBench.run(out, err, rows, json, icScale);
            if (json) {
                out.println(Json.MAPPER.writeValueAsString(root));
            }
            out.flush();
            return ExitCode.OK;
        }
        // The floor in a JVM of its own, with a fixed pre-touched heap: not this one, whose heap grows
        // as it goes, nor one where other models' runs have made the runtime's call sites polymorphic.
        FloorBench.Figures floorFigures = null;
        if (only == null || only.contains("gaussian") || only.contains("floor")) {
            err.println("probe bench: the floor against is on the Gaussian, in a JVM of its own with a pre-touched "
                    + FloorBench.HEAP + " heap...");
            err.flush();
            floorFigures = FloorBench.inChildJvm(seconds, repeats);
        }
        boolean anyModel = Builtins.all().stream().anyMatch(b -> only == null || only.contains(b.name()));
        if (!json && anyModel) {
            out.printf(Locale.ROOT, "%,d runs per timed inference, 1 thread and %d in pairs (medians):%n", rowRuns, cores);
            out.printf(Locale.ROOT, "%-16s %-6s %14s %14s %8s%n", "model", "engine", "runs/s (1 thr)",
                    "runs/s (" + cores + " thr)", "speedup");
        }
        for (BuiltinModel b : Builtins.all()) {
            if (only != null && !only.contains(b.name())) {
                continue;
            }
            for (String engine : new String[] {"prior", "is"}) {
                err.printf("probe bench: %s %s...%n", b.name(), engine);
                err.flush();
                double[] figures = rates(b, engine, cores);
                double one = figures[0];
                double all = figures[1];
                double speedup = figures[2];
                ObjectNode r = rows.addObject();
                r.put("model", b.name());
                r.put("engine", engine);
                r.put("runs_per_timed_inference", rowRuns);
                r.put("pairs", (int) figures[3]);
                r.put("runs_per_second_1_thread", Math.round(one));
                r.put("runs_per_second_all_threads", Math.round(all));
                r.put("speedup", Math.round(speedup * 100) / 100.0);
                if (!json) {
                    out.printf(Locale.ROOT, "%-16s %-6s %,14.0f %,14.0f %7.2fx%n", b.name(), engine, one, all, speedup);
                    out.flush();
                }
            }
        }
        if (floorFigures != null) {
            FloorBench.Figures f = floorFigures;
            ObjectNode floor = root.putObject("floor");
            floor.put("model", "gaussian");
            floor.put("runs_per_timed_inference", f.runs());
            floor.put("pairs", f.pairs());
            floor.put("floor_runs_per_second_1_thread", Math.round(f.floorRate()));
            floor.put("is_runs_per_second_1_thread", Math.round(f.isRate()));
            floor.put("is_over_floor", Math.round(f.wallRatio() * 100) / 100.0);
            floor.put("is_over_floor_pair_q1", Math.round(f.pairRatioQuartile(1) * 100) / 100.0);
            floor.put("is_over_floor_pair_q3", Math.round(f.pairRatioQuartile(3) * 100) / 100.0);
            floor.put("is_over_floor_cpu", Math.round(f.cpuRatio() * 100) / 100.0);
            floor.put("is_over_floor_thread_cpu", Math.round(f.threadCpuRatio() * 100) / 100.0);
            if (!json) {
                out.printf(Locale.ROOT, "%nfloor against is on the Gaussian, 1 thread, %,d runs per timed inference, %d pairs in alternation (medians):%n",
                        f.runs(), f.pairs());
                out.printf(Locale.ROOT, "floor (hand-written Gaussian IS loop): %,14.0f runs/s%n", f.floorRate());
                out.printf(Locale.ROOT, "is (whole inference and posterior):    %,14.0f runs/s%n", f.isRate());
                out.printf(Locale.ROOT, "is over the floor: %.2fx the wall time (pairs' quartiles %.2fx-%.2fx), %.2fx the process CPU time,"
                        + " %.2fx the timing thread's CPU time%n", f.wallRatio(), f.pairRatioQuartile(1), f.pairRatioQuartile(3),
                        f.cpuRatio(), f.threadCpuRatio());
                out.flush();
            }
        }
        if (only == null || only.contains("scripts") || only.contains("sir")) {
            scriptsAgainstJava(out, err, root.putArray("scripts"));
        }
        if (only == null || only.contains("statements")) {
            err.println("probe bench: sample statement cost...");
            double[] ns = statementCost();
            root.put("named_sample_statement_ns", Math.round(ns[0] * 10) / 10.0);
            root.put("unnamed_sample_statement_ns", Math.round(ns[1] * 10) / 10.0);
            if (!json) {
                out.printf(Locale.ROOT, "%nnamed sample statement (draw + trace + posterior column), 1 thread: %.1f ns%n", ns[0]);
                out.printf(Locale.ROOT, "unnamed sample statement (call-site address), 1 thread:          %.1f ns%n", ns[1]);
            }
        }
        if (only != null && only.contains("diagnostics")) {
            DiagnosticsBench.run(out, err, root.putArray("diagnostics"), json, repeats);
        }
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(root));
        }
        out.flush();
        return ExitCode.OK;
    }

    /** {@code --sbi}: the sbibm tasks' C2ST table, or {@code --draw-observations}. */
    private int sbi(PrintWriter out, PrintWriter err, ObjectNode root) throws java.io.IOException {
        if (drawObservations) {
            java.nio.file.Path file = sbiDir.resolve("observations.json");
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), SbiBench.drawObservations(sbiDir));
            err.println("probe bench: wrote " + file);
            return ExitCode.OK;
        }
        List<Integer> budgets = sbiBudgets == null ? List.of(1000, 10_000, 100_000) : sbiBudgets;
        for (int b : budgets) {
            if (b < 100) {
                throw new UsageException("--sbi-budgets: each budget must be at least 100, got " + b);
            }
        }
        if (sbiObservations < 1 || sbiObservations > SbiTasks.OBSERVATIONS || sbiDraws < 2 * dev.probe.diagnostics.C2st.FOLDS) {
            throw new UsageException("--sbi-observations must be 1.." + SbiTasks.OBSERVATIONS + " and --sbi-draws at least "
                    + 2 * dev.probe.diagnostics.C2st.FOLDS);
        }
        if (sbiFirst < 1 || sbiFirst - 1 + sbiObservations > SbiTasks.OBSERVATIONS) {
            throw new UsageException("--sbi-first " + sbiFirst + " with --sbi-observations " + sbiObservations + " runs past the "
                    + SbiTasks.OBSERVATIONS + " observations of each task: give --sbi-first from 1 to "
                    + (SbiTasks.OBSERVATIONS - sbiObservations + 1) + ", or fewer --sbi-observations");
        }
        List<String> tasks = sbiTasks == null ? SbiTasks.ALL.stream().map(SbiTasks.Task::name).toList() : sbiTasks;
        tasks.forEach(SbiTasks::find);
        List<String> engines = sbiEngines == null ? SbiBench.ENGINES : sbiEngines;
        for (String e : engines) {
            if (!SbiBench.ENGINES.contains(e)) {
                throw new UsageException("--sbi-engines: no engine '" + e + "'; the benchmark runs " + String.join(", ", SbiBench.ENGINES));
            }
        }
        dev.probe.proposals.Devices.prepare(1);
        SbiBench.run(out, err, root, json, new SbiBench.Options(tasks, engines, budgets, sbiFirst - 1, sbiObservations, sbiDraws, !sbiRaw, sbiDir));
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(root));
        }
        out.flush();
        return ExitCode.OK;
    }

    /** Choices per synthetic run in the LSTM benchmark: about a cascade.ppl run's. */
    static final int LSTM_STEPS = 15;

    /** {@code --lstm}: one training step per size against its floating-point bound, one PyTorch thread. */
    private void lstmSteps(PrintWriter out, PrintWriter err, ArrayNode rows) {
        err.println("probe bench: matrix-product rate...");
        err.flush();
        double gflops = dev.probe.compiler.StepBench.matMulRate(1024);
        if (!json) {
            out.printf(Locale.ROOT, "matrix product 1024 x 1024, 1 PyTorch thread: %.1f GFLOP/s%n", gflops);
            out.printf(Locale.ROOT, "training step, %d choices per run; times in ms per optimiser step%n", LSTM_STEPS);
            out.printf(Locale.ROOT, "%-6s %6s %6s %10s %8s %8s %8s %8s %8s %7s %10s%n", "pass", "hidden", "batch", "weights",
                    "forward", "backward", "adam", "step", "bound", "ratio", "traces/s");
        }
        var sizes = dev.probe.compiler.StepBench.sizes();
        for (int batch : sizes.get("batch")) {
            for (int hidden : sizes.get("hidden")) {
                for (boolean java : new boolean[] {false, true}) {
                    err.printf(Locale.ROOT, "probe bench: LSTM %d, batch %d, %s pass...%n", hidden, batch, java ? "Java" : "native");
                    err.flush();
                    var f = dev.probe.compiler.StepBench.measure(dev.probe.proposals.ProposalNetwork.Config.defaults()
                            .withHidden(hidden), batch, LSTM_STEPS, Math.max(3, (int) Math.ceil(5 * seconds)), gflops, java);
                    ObjectNode r = rows.addObject();
                    r.put("pass", f.pass());
                    r.put("hidden", hidden);
                    r.put("batch", batch);
                    r.put("steps", LSTM_STEPS);
                    r.put("weights", f.weights());
                    r.put("forward_ms", Math.round(f.forwardMs() * 100) / 100.0);
                    r.put("backward_ms", Math.round(f.backwardMs() * 100) / 100.0);
                    r.put("adam_ms", Math.round(f.adamMs() * 100) / 100.0);
                    r.put("bound_ms", Math.round(f.boundMs() * 100) / 100.0);
                    r.put("ratio", Math.round(f.ratio() * 100) / 100.0);
                    r.put("traces_per_second", Math.round(f.tracesPerSecond()));
                    if (!json) {
                        out.printf(Locale.ROOT, "%-6s %6d %6d %,10d %8.1f %8.1f %8.1f %8.1f %8.1f %6.1fx %,10.0f%n", f.pass(), hidden,
                                batch, f.weights(), f.forwardMs(), f.backwardMs(), f.adamMs(), f.stepMs(), f.boundMs(), f.ratio(),
                                f.tracesPerSecond());
                        out.flush();
                    }
                }
            }
        }
    }

    /**
     * Runs per second at one thread and at {@code cores} threads, the speedup and the number of
     * pairs timed. Every timed inference does the same {@link #rowRuns} runs, whatever the model,
     * build or machine, so that its posterior is a fixed size (calls sized by time made a faster
     * build hold larger posteriors and pay for their memory). One-thread and all-thread inferences
     * are timed in pairs, after two pairs of warm-up, which goes first alternating from pair to
     * pair, until at least {@link #repeats} pairs (an odd number) have taken {@code seconds *
     * repeats} seconds; the rates are medians over the pairs and the speedup the median of the
     * per-pair ratios, so that drifts in a shared machine's speed fall on both alike.
     */
    private double[] rates(BuiltinModel b, String engine, int cores) {
        Model m = b.create();
        java.util.function.BiConsumer<Integer, Integer> job = (traces, threads) -> {
            Inference inf = engine.equals("prior") ? Inference.prior(m) : Inference.importanceSampling(m).observations(b.exampleObservations());
            inf.traces(traces).seed(1).threads(threads).run();
        };
        int runs = rowRuns;
        for (int k = 0; k < 2; k++) {
            job.accept(runs, 1);
            job.accept(runs, cores);
        }
        List<double[]> pairs = new java.util.ArrayList<>();
        long until = System.nanoTime() + (long) (1e9 * seconds * repeats);
        while (pairs.size() < repeats || System.nanoTime() < until || pairs.size() % 2 == 0) {
            double one;
            double all;
            if (pairs.size() % 2 == 0) {
                one = time(() -> job.accept(runs, 1), runs);
                all = time(() -> job.accept(runs, cores), runs);
            } else {
                all = time(() -> job.accept(runs, cores), runs);
                one = time(() -> job.accept(runs, 1), runs);
            }
            pairs.add(new double[] {one, all, all / one});
        }
        double[][] cols = new double[3][pairs.size()];
        for (int k = 0; k < pairs.size(); k++) {
            for (int c = 0; c < 3; c++) {
                cols[c][k] = pairs.get(k)[c];
            }
        }
        return new double[] {medianOf(cols[0]), medianOf(cols[1]), medianOf(cols[2]), pairs.size()};
    }

    private static double time(Runnable r, int traces) {
        long t0 = System.nanoTime();
        r.run();
        return traces / ((System.nanoTime() - t0) / 1e9);
    }

    static double medianOf(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Prior-sampling runs per second of each script twin against its Java model, one thread. */
    private void scriptsAgainstJava(PrintWriter out, PrintWriter err, ArrayNode rows) throws java.io.IOException {
        if (!java.nio.file.Files.isDirectory(scripts)) {
            err.println("probe bench: no " + scripts + " folder; skipping scripts against Java (run from the repository root or give --scripts)");
            return;
        }
        if (!json) {
            out.printf(Locale.ROOT, "%n%-16s %16s %16s %8s%n", "script twin", "script runs/s", "Java runs/s", "ratio");
        }
        for (BuiltinModel b : Builtins.all()) {
            java.nio.file.Path file = scripts.resolve(b.name() + ".ppl");
            if (only != null && !only.contains("scripts") || !java.nio.file.Files.isRegularFile(file)) {
                continue;
            }
            err.printf("probe bench: %s script against Java...%n", b.name());
            err.flush();
            Model script = dev.probe.language.Script.load(file).model();
            Model java = b.create();
            scriptAgainstJava(out, rows, b.name(), script, java);
        }
        // The numeric simulator of the sbibm benchmark: an ODE integrated in a loop (its twin is not a built-in model).
        java.nio.file.Path sir = scripts.resolveSibling("sbibm").resolve("sir.ppl");
        if (java.nio.file.Files.isRegularFile(sir)) {
            err.println("probe bench: sbibm sir script against Java...");
            err.flush();
            scriptAgainstJava(out, rows, "sbibm sir", dev.probe.language.Script.load(sir).model(),
                    new dev.probe.models.sbibm.Sir(dev.probe.models.sbibm.Sir.STEPS_PER_DAY));
        }
    }

    /**
     * One row: prior-sampling runs per second of a script and of its Java twin, one thread, timed
     * in alternation repeat after repeat; the ratio is the median of the per-repeat ratios, so
     * that drifts in a shared machine's speed cancel out.
     */
    private void scriptAgainstJava(PrintWriter out, ArrayNode rows, String name, Model script, Model java) {
        Job scriptJob = n -> Inference.prior(script).traces(n).seed(1).threads(1).run();
        Job javaJob = n -> Inference.prior(java).traces(n).seed(1).threads(1).run();
        int scriptRuns = calibrate(scriptJob, 1 << 24);
        int javaRuns = calibrate(javaJob, 1 << 24);
        double[] s = new double[repeats];
        double[] j = new double[repeats];
        double[] ratio = new double[repeats];
        for (int k = 0; k < repeats; k++) {
            s[k] = time(() -> scriptJob.run(scriptRuns), scriptRuns);
            j[k] = time(() -> javaJob.run(javaRuns), javaRuns);
            ratio[k] = j[k] / s[k];
        }
        double sm = medianOf(s);
        double jm = medianOf(j);
        double rm = medianOf(ratio);
        ObjectNode r = rows.addObject();
        r.put("model", name);
        r.put("script_runs_per_second", Math.round(sm));
        r.put("java_runs_per_second", Math.round(jm));
        r.put("java_over_script", Math.round(rm * 100) / 100.0);
        if (!json) {
            out.printf(Locale.ROOT, "%-16s %,16.0f %,16.0f %7.2fx%n", name, sm, jm, rm);
            out.flush();
        }
    }

    /** ns per named and per unnamed sample statement, from runs of {@link #STATEMENTS} statements and runs of none. */
    private double[] statementCost() {
        Normal d = Normal.of(0, 1);
        Model named = ctx -> {
            double s = 0;
            for (int i = 0; i < STATEMENTS; i++) {
                s += ctx.sample(d, "x");
            }
            return s;
        };
        Model unnamed = ctx -> {
            double s = 0;
            for (int i = 0; i < STATEMENTS; i++) {
                s += ctx.sample(d);
            }
            return s;
        };
        Model empty = ctx -> {
            double s = 0;
            for (int i = 0; i < STATEMENTS; i++) {
                s += i;
            }
            return s;
        };
        // Each run of the named model fills STATEMENTS posterior columns, so the run count is capped
        // to keep them in memory (20,000 runs hold 20 million values, 160 MB).
        int cap = 20_000;
        double base = 1e9 / median(n -> Inference.prior(empty).traces(n).seed(1).threads(1).run(), cap);
        double namedRun = 1e9 / median(n -> Inference.prior(named).traces(n).seed(1).threads(1).run(), cap);
        double unnamedRun = 1e9 / median(n -> Inference.prior(unnamed).traces(n).seed(1).threads(1).run(), cap);
        return new double[] {(namedRun - base) / STATEMENTS, (unnamedRun - base) / STATEMENTS};
    }

    private interface Job {
        void run(int traces);
    }

    /**
     * The number of runs at which one inference lasts {@link #seconds} (at most {@code cap}); the
     * growing runs also warm the JIT up.
     */
    private int calibrate(Job job, int cap) {
        int traces = Math.min(1024, cap);
        while (true) {
            long t0 = System.nanoTime();
            job.run(traces);
            double s = (System.nanoTime() - t0) / 1e9;
            if (s >= seconds || traces >= cap) {
                break;
            }
            traces = (int) Math.min(cap, Math.max(traces * 2L, (long) (traces * seconds / Math.max(s, 1e-3) * 1.2)));
        }
        job.run(traces);
        return traces;
    }

    /** Runs per second of {@code job}: calibrated, then the median of the repeats. */
    private double median(Job job, int cap) {
        int traces = calibrate(job, cap);
        double[] rates = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            int n = traces;
            rates[r] = time(() -> job.run(n), n);
        }
        return medianOf(rates);
    }
}
