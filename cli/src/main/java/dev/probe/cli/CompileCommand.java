package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import ai.djl.Device;

import dev.probe.compiler.FocusedSource;
import dev.probe.compiler.WakeSampler;
import dev.probe.compiler.RunSource;
import dev.probe.compiler.ShardedDataset;
import dev.probe.compiler.TraceDataset;
import dev.probe.compiler.Trainer;
import dev.probe.compiler.TrainingOptions;
import dev.probe.planing.ProposalStudy;
import dev.probe.proposals.Artifact;
import dev.probe.runtime.io.CheckedFile;
import dev.probe.proposals.Devices;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.runtime.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code probe compile MODEL --out DIR}: inference compilation, training a proposal network. */
@Command(name = "compile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a proposal network on runs simulated from the model's prior and saves it in --out DIR,"
                + " for probe infer --engine ic --network DIR.",
            "Offline: --save-dataset FILE simulates the runs once (--save-dataset DIR --shards N: as N shards and a manifest);"
                + " --dataset FILE|DIR trains from them as often as wanted."})
final class CompileCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to save the trained network (a directory).")
    Path out;

    @Option(names = "--traces", paramLabel = "N", defaultValue = "100000",
            description = "Training runs (with --dataset: runs served, in passes over the file). Default: 100000.")
    long traces;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "64", description = "Runs per optimiser step. Default: 64.")
    int batchSize;

    @Option(names = "--learning-rate", paramLabel = "LR", defaultValue = "0.001",
            description = "Adam's initial learning rate, decayed to 5%% of it by a cosine schedule. Default: 0.001.")
    double learningRate;

    @Option(names = "--validation", paramLabel = "N", defaultValue = "256",
            description = "Runs in the fixed validation set. Default: 256.")
    int validation;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu", description = "cpu, gpu or auto. Default: cpu.")
    String device;

    @Option(names = "--checkpoint-every", paramLabel = "N",
            description = "Save the network every N training runs (default: every tenth of the training).")
    Long checkpointEvery;

    @Option(names = "--dataset", paramLabel = "FILE", description = "Train from this trace dataset (a file, or a sharded"
            + " dataset's directory) instead of simulating.")
    Path dataset;

    @Option(names = "--save-dataset", paramLabel = "FILE",
            description = "Simulate --traces runs into this trace dataset and stop (no training); with --shards, a directory.")
    Path saveDataset;

    @Option(names = "--shards", paramLabel = "N", description = "Write --save-dataset as a directory of N shards (each whole"
            + " blocks of 4096 runs, simulated as one task) and a manifest.json listing them with their SHA-256.")
    Integer shards;

    @Option(names = "--image", paramLabel = "NAME=HxW", description = "Embed this observation with a CNN as a grid"
            + " (HxW or HxWxD; repeatable). Other observations go through an MLP.")
    List<String> images = new ArrayList<>();

    @Option(names = "--lstm-hidden", paramLabel = "H", defaultValue = "128",
            description = "LSTM hidden units. Default: 128 (sized for a CPU; pyprob uses 512).")
    int hidden;

    @Option(names = "--recurrence", paramLabel = "R", defaultValue = "sequence",
            description = "What a choice's LSTM step continues from: 'sequence', the choice made just before it (pyprob's"
                    + " design); 'call-tree', its parent in the program's call tree for the cell state and the previous"
                    + " choice's inputs (recursive simulators; docs/inference-compilation.md). Default: sequence.")
    String recurrence;

    @Option(names = "--max-addresses", paramLabel = "N", defaultValue = "4096",
            description = "Addresses the network can learn; choices elsewhere fall back to the prior (a warning says how"
                    + " many). Default: 4096.")
    int maxAddresses;

    @Option(names = "--plane", paramLabel = "NAME", description = "Instead of saving a network: train two, on the runs as"
            + " simulated and on the runs planed in this observation (one number per run) against each latent, and print"
            + " each latent's validation loss for both (docs/planing.md).")
    String plane;

    @Option(names = "--bins", paramLabel = "B", defaultValue = "0", description = "With --plane: bins per variable (default:"
            + " about 25 validation choices per cell, 2 to 50).")
    int bins;

    @Option(names = "--json", description = "With --plane: the table as JSON.")
    boolean json;

    @Option(names = "--focus", paramLabel = "SHARE", description = "Train for the observation of --observations/--observe:"
            + " only the SHARE (above 0, at most 1) of simulated runs whose observations are nearest to it (docs/inference-compilation.md).")
    Double focus;

    @Option(names = "--wake", paramLabel = "N", description = "After training, N runs drawn by the network itself at the"
            + " observation of --observations/--observe, resampled by their importance weights, train it further (the wake"
            + " phase of reweighted wake-sleep): a network for that observation (docs/inference-compilation.md).")
    Long wake;

    @Mixin
    CommonOptions common;

    @Mixin
    BackendOptions backend;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        if (plane != null && (out != null || saveDataset != null)) {
            throw new UsageException("--plane is a study: it trains two networks and saves neither; drop "
                    + (out != null ? "--out" : "--save-dataset"));
        }
        if (plane == null && (json || bins != 0)) {
            throw new UsageException((json ? "--json" : "--bins") + " belongs to --plane NAME");
        }
        if (bins < 0 || bins == 1) {
            throw new UsageException("--bins must be at least 2, got " + bins);
        }
        if (out == null && saveDataset == null && plane == null) {
            throw new UsageException("give --out DIR for the trained network (or --save-dataset FILE to only simulate runs)");
        }
        if (out != null && saveDataset != null) {
            throw new UsageException("--save-dataset only simulates runs; train from the file with a second probe compile"
                    + " --dataset FILE --out DIR");
        }
        boolean observed = !model.observe.isEmpty() || model.observationsFile != null;
        if (focus != null && !(focus > 0 && focus <= 1)) {
            throw new UsageException("--focus must be a share of the runs, above 0 and at most 1, got " + focus);
        }
        if (focus != null && (plane != null || saveDataset != null || dataset != null)) {
            throw new UsageException("--focus trains a network for one observation; it does not go with "
                    + (plane != null ? "--plane" : saveDataset != null ? "--save-dataset"
                            : "--dataset (a fixed set of runs, which filtering would serve again and again: simulate instead)"));
        }
        if (focus != null && FocusedSource.pilotSize(validation, focus) > FocusedSource.MAX_PILOT) {
            throw new UsageException("--focus " + focus + " with --validation " + validation + " would simulate "
                    + FocusedSource.pilotSize(validation, focus) + " pilot runs at once, over " + FocusedSource.MAX_PILOT
                    + ": give a larger --focus or a smaller --validation");
        }
        if (focus != null && !observed) {
            throw new UsageException("--focus trains for one observation: give it with --observations FILE or --observe NAME=VALUE");
        }
        if (wake != null && wake <= 0) {
            throw new UsageException("--wake must be a positive number of runs, got " + wake);
        }
        if (wake != null && (plane != null || saveDataset != null)) {
            throw new UsageException("--wake trains a network further; it does not go with "
                    + (plane != null ? "--plane" : "--save-dataset (which only simulates runs)"));
        }
        if (wake != null && !observed) {
            throw new UsageException("--wake trains the network at one observation: give it with --observations FILE or"
                    + " --observe NAME=VALUE");
        }
        if (observed && focus == null && wake == null) {
            throw new UsageException("compile simulates its observations from the model; --observe and --observations"
                    + " belong to probe infer, or to compile with --focus SHARE or --wake N (a network for that observation)");
        }
        if (traces <= 0) {
            throw new UsageException("--traces must be positive, got " + traces);
        }
        if (!ProposalNetwork.Config.RECURRENCES.contains(recurrence)) {
            throw new UsageException("--recurrence must be sequence or call-tree, got '" + recurrence + "'");
        }
        if (shards != null && saveDataset == null) {
            throw new UsageException("--shards cuts the dataset --save-dataset DIR writes; give --save-dataset DIR as well");
        }
        backend.check(model);
        if (!backend.backend.equals("local") && (saveDataset == null || shards == null)) {
            throw new UsageException("--backend " + backend.backend + " simulates a sharded dataset: give --save-dataset DIR"
                    + " --shards N (training runs here; train from the dataset with probe compile --dataset DIR --out DIR)");
        }
        if (BackendOptions.replaying()) {
            // A worker: the driver checked and holds the directory, where the other workers' shards appear.
            return compile(err, stdout);
        }
        if (shards != null) {
            try {
                ShardedDataset.ranges(traces, shards);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            }
            checkShardDirectory(saveDataset);
        } else if (saveDataset != null && Files.isDirectory(saveDataset)) {
            throw new UsageException("--save-dataset " + saveDataset + " is a directory: give a file name, or --shards N to"
                    + " write a sharded dataset into the directory");
        }
        if (out != null) {
            checkOut(out);
        }
        CheckedFile.Reservation outLock = Outputs.reserve(out, CheckedFile.Kind.DIRECTORY, "--out");
        CheckedFile.Reservation datasetLock = null;
        try {
            datasetLock = Outputs.reserve(saveDataset, shards != null ? CheckedFile.Kind.DIRECTORY : CheckedFile.Kind.FILE,
                    "--save-dataset");
            return compile(err, stdout);
        } finally {
            Outputs.release(datasetLock);
            Outputs.release(outLock);
        }
    }

    private Integer compile(PrintWriter err, PrintWriter stdout) throws IOException {
        Map<String, int[]> imageShapes = images();
        // One PyTorch thread trains (faster than two at these sizes, measured in docs/benchmarks.md)
        // while the other cores simulate the next runs.
        Devices.prepare(1);
        Device chosen;
        try {
            chosen = Devices.choose(device);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        long seed = common.seed(err, plane != null ? "to reproduce this table" : "to train the same network again");
        TrainingOptions options;
        try {
            options = new TrainingOptions(traces, batchSize, learningRate, validation, seed, common.threads(), chosen,
                    checkpointEvery != null ? checkpointEvery : Math.max(traces / 10, batchSize), out,
                    ProposalNetwork.Config.defaults().withHidden(hidden).withMaxAddresses(maxAddresses)
                            .withCallTree(recurrence.equals(ProposalNetwork.Config.CALL_TREE)), imageShapes);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        if (dataset != null && model.model == null && model.simulator == null && model.attach == null && model.ppx.isEmpty()) {
            if (wake != null) {
                throw new UsageException("--wake draws runs from the model at the observation: name the model (MODEL,"
                        + " --simulator, --attach or --ppx) as well as --dataset");
            }
            return train(null, options, err, stdout);
        }
        Model loaded = model.load(err);
        try {
            if (saveDataset != null) {
                return simulate(loaded, options, err);
            }
            return train(loaded, options, err, stdout);
        } finally {
            model.close();
        }
    }

    private void checkOut(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException("--out " + dir + " is a file; give a directory");
        }
        if (Files.isDirectory(dir) && !Files.exists(dir.resolve("network.json"))) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new UsageException("--out " + dir + " is a directory holding other things; give a new or empty"
                            + " directory, or one holding a network to replace");
                }
            } catch (IOException e) {
                throw new UsageException("--out " + dir + ": cannot read it: " + e.getMessage());
            }
        }
    }

    /** A sharded dataset goes into a new or empty directory, or replaces one. */
    private static void checkShardDirectory(Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException("--save-dataset " + dir + " is a file; with --shards give a directory");
        }
        if (Files.isDirectory(dir) && !Files.exists(dir.resolve(ShardedDataset.MANIFEST))) {
            try (var entries = Files.list(dir)) {
                if (entries.anyMatch(p -> !p.getFileName().toString().startsWith("."))) {
                    throw new UsageException("--save-dataset " + dir + " is a directory holding other things; give a new or"
                            + " empty directory, or one holding a sharded dataset to replace");
                }
            } catch (IOException e) {
                throw new UsageException("--save-dataset " + dir + ": cannot read it: " + e.getMessage());
            }
        }
    }

    private Map<String, int[]> images() {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (String item : images) {
            int eq = item.indexOf('=');
            String[] dims = eq <= 0 ? new String[0] : item.substring(eq + 1).toLowerCase(Locale.ROOT).split("x");
            int[] shape = new int[dims.length];
            try {
                for (int i = 0; i < dims.length; i++) {
                    shape[i] = Integer.parseInt(dims[i].trim());
                    if (shape[i] <= 0) {
                        throw new NumberFormatException();
                    }
                }
            } catch (NumberFormatException e) {
                shape = new int[0];
            }
            if (shape.length < 2 || shape.length > 3) {
                throw new UsageException("--image " + item + ": expected NAME=HxW or NAME=HxWxD, e.g. --image image=8x8");
            }
            shapes.put(item.substring(0, eq).trim(), shape);
        }
        return shapes;
    }

    private Integer simulate(Model loaded, TrainingOptions options, PrintWriter err) throws IOException {
        int threads = model.threads(common.threads());
        ProgressBar bar = new ProgressBar(err, "runs");
        java.util.function.LongConsumer progress = done -> {
            if (!common.quiet) {
                bar.progress(done, traces);
            }
        };
        long t0 = System.nanoTime();
        try {
            if (shards != null) {
                // Tasks see the directory (local threads; a cluster's workers, which must share it):
                // each writes its own shard, and this process the manifest.
                try {
                    ShardedDataset.write(saveDataset, loaded, model.label(), options.seed(), traces, shards,
                            backend.open(threads, options.seed(), common.threads), true, progress);
                } finally {
                    backend.close();
                }
            } else {
                RunSource source = RunSource.online(loaded, model.label(), options.seed(), threads, 64);
                TraceDataset.write(saveDataset, source, traces, TraceDataset.BLOCK, progress);
            }
        } finally {
            bar.finish();
        }
        err.printf(Locale.ROOT, "probe: wrote %,d runs of %s to %s%s in %.1f s%n", traces, model.label(), saveDataset,
                shards != null ? " as " + shards + " shards" : "", (System.nanoTime() - t0) / 1e9);
        return ExitCode.OK;
    }

    private Integer train(Model loaded, TrainingOptions options, PrintWriter err, PrintWriter stdout) throws IOException {
        RunSource source = source(loaded, options);
        ProgressBar bar = new ProgressBar(err, "traces");
        if (plane != null) {
            ProposalStudy.Result result;
            try {
                result = ProposalStudy.run(source, options, plane, bins, listener(bar, err));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            } finally {
                bar.finish();
            }
            CompilePlaning.print(stdout, source.label(), options, result, json);
            return ExitCode.OK;
        }
        Artifact artifact;
        try {
            WakeSampler sampler = wake == null ? null
                    : new WakeSampler(loaded, model.label(), model.observations(), model.threads(common.threads()), 64);
            if (sampler != null) {
                sampler.check(options.seed());
            }
            artifact = Trainer.train(source, options, sampler, wake == null ? 0 : wake, listener(bar, err));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        } finally {
            bar.finish();
        }
        try {
            var t = artifact.training();
            stdout.printf(Locale.ROOT, "trained %s on %,d traces in %.1f s (%,.0f traces/s; %.1f s of CPU): validation loss"
                    + " %.4f, %d addresses, %,d weights; saved in %s%n", source.label(), t.path("traces").asLong(),
                    t.path("seconds").asDouble(), t.path("traces_per_second").asDouble(),
                    t.path("process_cpu_seconds").asDouble(), t.path("valid_loss").asDouble(),
                    artifact.network().addresses().size(), artifact.network().size(), out);
            var w = t.path("wake");
            if (!w.isMissingNode()) {
                var rounds = w.path("rounds");
                stdout.printf(Locale.ROOT, "wake phase: %,d runs drawn by the network at the observation in %d round%s (%.1f"
                        + " s of the training); Kish ESS %,.0f of the first round's %,d runs, %,.0f of the last's %,d (the"
                        + " validation runs are the training's, not the observation's: their loss rises as the network"
                        + " narrows to it)%n", w.path("runs").asLong(), rounds.size(), rounds.size() == 1 ? "" : "s",
                        w.path("seconds").asDouble(),
                        rounds.get(0).path("kish_ess").asDouble(), rounds.get(0).path("runs").asLong(),
                        rounds.get(rounds.size() - 1).path("kish_ess").asDouble(),
                        rounds.get(rounds.size() - 1).path("runs").asLong());
            }
            stdout.flush();
        } finally {
            artifact.network().close();
        }
        return ExitCode.OK;
    }

    /** The training runs: from --dataset, or simulated from the model. */
    private RunSource source(Model loaded, TrainingOptions options) throws IOException {
        RunSource source;
        if (dataset != null) {
            TraceDataset data;
            try {
                data = TraceDataset.read(dataset);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            }
            if (loaded != null && !loaded.identity().equals(data.identity())) {
                throw new UsageException(dataset + " holds runs of " + data.label() + " (" + data.identity() + "), not of "
                        + model.label() + " (" + loaded.identity() + ")");
            }
            source = data.source(dataset, options.seed());
        } else {
            source = RunSource.online(loaded, model.label(), options.seed(), model.threads(common.threads()), 64);
        }
        if (focus != null) {
            try {
                Map<String, double[]> target = new java.util.LinkedHashMap<>();
                model.observations().forEach((name, value) -> target.put(name, dev.probe.proposals.ObservationLayout.flatten(value)));
                source = new FocusedSource(source, target, focus);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--focus: " + e.getMessage(), e);
            }
        }
        return source;
    }

    /** Training's progress on the bar and its messages on standard error. */
    Trainer.Listener listener(ProgressBar bar, PrintWriter err) {
        return new Trainer.Listener() {
            @Override
            public void progress(long done, long total, double trainLoss, double validLoss, double rate) {
                if (!common.quiet) {
                    bar.progress(done, total, String.format(Locale.ROOT, "  loss %.3f  valid %s  ", trainLoss,
                            Double.isNaN(validLoss) ? "-" : String.format(Locale.ROOT, "%.3f", validLoss)));
                }
            }

            @Override
            public void message(String line) {
                if (!common.quiet) {
                    bar.finish();
                    err.println("probe: " + line.replace("maxAddresses", "--max-addresses"));
                }
            }

            @Override
            public void warning(String line) {
                bar.finish();
                err.println("probe: warning: " + line.replace("maxAddresses", "--max-addresses"));
                err.flush();
            }
        };
    }
}
