package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.planing.Events;
import dev.probe.planing.Settings;
import dev.probe.planing.Study;
import dev.probe.proposals.Devices;
import dev.probe.runtime.io.CheckedFile;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.trace.Trace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code probe plane --signal MODEL --background MODEL --features NAMES}: what does a classifier
 * learn? Trains a linear and a deep classifier to tell prior runs of the two models apart, from the
 * features alone, with each {@code --add} variable as an extra input, and after planing each
 * {@code --plane} variable (or pair) away; prints their held-out AUCs (docs/planing.md).
 */
@Command(name = "plane", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a linear and a deep classifier to separate prior runs of --signal from --background, and"
                + " measures how much they rely on chosen variables by planing them away (reweighting both classes to the"
                + " same distribution in them) or adding them as inputs; prints the held-out AUCs (docs/planing.md)."})
final class PlaneCommand implements Callable<Integer> {

    @Option(names = "--signal", paramLabel = "MODEL", required = true,
            description = "FILE.ppl, builtin:NAME, or simulator:\"CMD ARGS\" (an external simulator, --workers copies).")
    String signal;

    @Option(names = "--background", paramLabel = "MODEL", required = true, description = "The other class, as --signal.")
    String background;

    @Option(names = "--events", paramLabel = "N", defaultValue = "20000", description = "Prior runs per class. Default: 20000.")
    int events;

    @Option(names = "--features", paramLabel = "NAMES", required = true, split = ",",
            description = "The classifiers' inputs: named observations, tags or samples, numbers or vectors (comma-separated).")
    List<String> features;

    @Option(names = "--add", paramLabel = "VAR", description = "A row with VAR as an extra input (repeatable).")
    List<String> add = new ArrayList<>();

    @Option(names = "--plane", paramLabel = "VAR[,VAR2]", description = "A row with the features planed in VAR, or in VAR and"
            + " VAR2 jointly (repeatable). Each must be one number per event.")
    List<String> plane = new ArrayList<>();

    @Option(names = "--bins", paramLabel = "B", defaultValue = "0",
            description = "Bins per planed variable (default: about 25 held-out events per class per cell, 2 to 50).")
    int bins;

    @Option(names = "--hidden", paramLabel = "W,W", split = ",", description = "The deep classifier's hidden layers. Default: 64,64.")
    int[] hidden;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "100", description = "Most epochs per training. Default: 100.")
    int epochs;

    @Option(names = "--patience", paramLabel = "N", defaultValue = "8",
            description = "Epochs without a better validation loss before training stops. Default: 8.")
    int patience;

    @Option(names = "--batch-size", paramLabel = "B", defaultValue = "256", description = "Events per Adam step. Default: 256.")
    int batchSize;

    @Option(names = "--bootstrap", paramLabel = "R", defaultValue = "200",
            description = "Bootstrap replicas for the AUC's error. Default: 200.")
    int bootstrap;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1", description = "Copies of a simulator:\"...\" model. Default: 1.")
    int workers;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "Sets a parameter of both models (repeatable).")
    List<String> params = new ArrayList<>();

    @Option(names = "--signal-param", paramLabel = "NAME=VALUE", description = "Sets a parameter of --signal (repeatable).")
    List<String> signalParams = new ArrayList<>();

    @Option(names = "--background-param", paramLabel = "NAME=VALUE",
            description = "Sets a parameter of --background (repeatable).")
    List<String> backgroundParams = new ArrayList<>();

    @Option(names = "--plots", paramLabel = "DIR", description = "Also write plots (PNG and SVG) and report.html here: the"
            + " planed variables per class, as simulated and planed, and the ROC curves.")
    Path plots;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Mixin
    CommonOptions common;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        CheckedFile.Reservation plotsLock = Outputs.reserve(plots, CheckedFile.Kind.DIRECTORY, "--plots");
        try {
            return plane();
        } finally {
            Outputs.release(plotsLock);
        }
    }

    private Integer plane() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        if (events < 10) {
            throw new UsageException("--events must be at least 10, got " + events);
        }
        Settings defaults = Settings.defaults();
        Settings settings;
        try {
            settings = new Settings(hidden != null ? hidden : defaults.hidden(), batchSize, defaults.linearRate(),
                    defaults.deepRate(), epochs, patience, bins, bootstrap);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        List<Study.Configuration> configurations = configurations();
        List<String> names = new ArrayList<>(features);
        for (Study.Configuration c : configurations) {
            for (String n : c.planed()) {
                if (!names.contains(n)) {
                    names.add(n);
                }
            }
            for (String n : c.features()) {
                if (!names.contains(n)) {
                    names.add(n);
                }
            }
        }
        long seed = common.seed(err, "to reproduce this table");
        long start = System.nanoTime();
        Events s = events(signal, "--signal", signalParams, names, Seeds.generator(seed, -1).nextLong(), err);
        Events b = events(background, "--background", backgroundParams, names, Seeds.generator(seed, -2).nextLong(), err);
        // One PyTorch thread: faster than two for networks this small (docs/benchmarks.md, notes on DJL).
        Devices.prepare(1);
        List<Study.Row> rows;
        try {
            rows = Study.run(s, b, configurations, settings, seed, (c, kind, r) -> {
                if (!common.quiet) {
                    err.printf(Locale.ROOT, "probe: %s: %s AUC %.4f ± %.4f (%d epochs, %.1f s)%n", c.label(), kind,
                            r.auc().value(), r.auc().error(), r.epochs(), r.seconds());
                }
            });
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(json(rows, settings, seed, seconds)));
        } else {
            print(out, rows, settings, seed, seconds);
        }
        out.flush();
        if (plots != null) {
            List<Path> written = PlanePlots.write(plots, signal, background, s, b, rows);
            if (!common.quiet) {
                err.printf(Locale.ROOT, "probe: wrote %d plots and report.html in %s%n", (written.size() - 1) / 2, plots);
            }
        }
        return ExitCode.OK;
    }

    /** The rows: the features alone, each --add, each --plane. */
    private List<Study.Configuration> configurations() {
        String base = String.join(",", features);
        List<Study.Configuration> out = new ArrayList<>();
        out.add(new Study.Configuration(base, features, List.of()));
        for (String a : add) {
            List<String> more = new ArrayList<>(features);
            more.add(a.trim());
            out.add(new Study.Configuration(base + " + " + a.trim(), more, List.of()));
        }
        for (String p : plane) {
            List<String> vars = Arrays.stream(p.split(",")).map(String::trim).filter(v -> !v.isEmpty()).toList();
            if (vars.isEmpty() || vars.size() > 2) {
                throw new UsageException("--plane " + p + ": give one variable or two, comma-separated (e.g. --plane m,dabsy)");
            }
            out.add(new Study.Configuration(base + " planed in " + String.join(",", vars), features, vars));
        }
        return out;
    }

    /** Prior runs of one model, the named values read out. */
    private Events events(String spec, String option, List<String> own, List<String> names, long seed, PrintWriter err) {
        ModelOptions m = new ModelOptions();
        m.params = new ArrayList<>(params);
        m.params.addAll(own);
        m.workers = workers;
        m.deadline = 30;
        m.attachTimeout = 600;
        if (spec.startsWith("simulator:")) {
            m.simulator = spec.substring("simulator:".length()).trim();
        } else {
            m.model = spec;
        }
        ProgressBar bar = new ProgressBar(err, option.substring(2) + " runs");
        Inference inference = Inference.prior(m.load(err)).traces(events).seed(seed).threads(m.threads(common.threads()))
                .keepTraces(true).label(m.label());
        if (!common.quiet) {
            inference.progress(bar);
        }
        List<Trace> traces;
        try {
            traces = inference.run().traces();
        } finally {
            bar.finish();
            m.close();
        }
        try {
            return Events.of(traces, names, option + " " + spec);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    private void print(PrintWriter out, List<Study.Row> rows, Settings settings, long seed, double seconds) {
        Study.Row first = rows.get(0);
        out.printf(Locale.ROOT, "signal %s   background %s   events %,d per class   seed %d   %.1f s%n", signal, background,
                events, seed, seconds);
        int held = events - (int) Math.round(events * Settings.TRAIN) - (int) Math.round(events * Settings.VALIDATION);
        out.printf(Locale.ROOT, "weighted AUC on %,d held-out events per class ± bootstrap standard error (%d replicas);"
                + " linear: logistic regression, deep: %s%n", held, settings.bootstrap(), settings.deepName());
        int width = "configuration".length();
        for (Study.Row r : rows) {
            width = Math.max(width, r.configuration().label().length());
        }
        String format = "%-" + width + "s  %-17s  %-17s  %s%n";
        out.printf(Locale.ROOT, format, "configuration", "linear", "deep", "planing");
        for (Study.Row r : rows) {
            String planing = r.bins() == 0 ? "" : String.format(Locale.ROOT, "%d bins per variable, %d events weigh 0,"
                    + " effective events %,.0f signal %,.0f background", r.bins(), r.dropped(), r.effective()[0], r.effective()[1]);
            out.printf(Locale.ROOT, format, r.configuration().label(), auc(r.linear()), auc(r.deep()), planing);
        }
        if (first.deep().epochs() >= settings.maxEpochs()) {
            out.println("note: the deep classifier used every epoch (--epochs " + settings.maxEpochs() + "); more may help");
        }
    }

    private static String auc(Study.Result r) {
        return String.format(Locale.ROOT, "%.4f ± %.4f", r.auc().value(), r.auc().error());
    }

    private ObjectNode json(List<Study.Row> rows, Settings settings, long seed, double seconds) {
        ObjectNode root = Json.NODES.objectNode();
        root.put("signal", signal);
        root.put("background", background);
        root.put("events", events);
        root.put("seed", seed);
        root.put("seconds", Math.round(seconds * 100) / 100.0);
        ObjectNode split = root.putObject("split");
        split.put("train", Settings.TRAIN);
        split.put("validation", Settings.VALIDATION);
        split.put("test", Math.round((1 - Settings.TRAIN - Settings.VALIDATION) * 100) / 100.0);
        root.put("linear", "logistic regression");
        root.put("deep", settings.deepName());
        root.put("uncertainty", "bootstrap standard error, " + settings.bootstrap() + " replicas");
        ArrayNode list = root.putArray("rows");
        for (Study.Row r : rows) {
            ObjectNode row = list.addObject();
            row.put("label", r.configuration().label());
            ArrayNode f = row.putArray("features");
            r.configuration().features().forEach(f::add);
            ArrayNode p = row.putArray("plane");
            r.configuration().planed().forEach(p::add);
            row.put("bins", r.bins());
            row.put("zero_weight_events", r.dropped());
            row.put("effective_signal", Math.round(r.effective()[0]));
            row.put("effective_background", Math.round(r.effective()[1]));
            row.set("linear", result(r.linear()));
            row.set("deep", result(r.deep()));
        }
        return root;
    }

    private static ObjectNode result(Study.Result r) {
        ObjectNode o = Json.NODES.objectNode();
        o.put("auc", r.auc().value());
        o.put("error", r.auc().error());
        o.put("epochs", r.epochs());
        o.put("valid_loss", r.validLoss());
        o.put("seconds", Math.round(r.seconds() * 100) / 100.0);
        return o;
    }
}
