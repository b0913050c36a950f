package dev.probe.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import dev.probe.bridge.SimulatorLauncher;
import dev.probe.language.ScriptSource;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelSource;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The model argument and the options that shape it: parameters and observations. */
final class ModelOptions {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "FILE.ppl (a model script) or builtin:NAME (probe list shows them)")
    String model;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "Overrides a model parameter (repeatable).")
    List<String> params = new ArrayList<>();

    @Option(names = "--observe", paramLabel = "NAME=VALUE",
            description = "Conditions on an observation: a number, true/false or a JSON array (repeatable).")
    List<String> observe = new ArrayList<>();

    @Option(names = "--observations", paramLabel = "FILE", description = "A JSON object of observation values.")
    Path observationsFile;

    @Option(names = "--simulator", paramLabel = "\"CMD ARGS\"",
            description = "An external simulator: the command is started --workers times and attaches over gRPC.")
    String simulator;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "1", description = "Copies of --simulator to start. Default: 1.")
    int workers;

    @Option(names = "--deadline", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long a simulator may go silent mid-run before its run is retried elsewhere. Default: 30.")
    double deadline;

    /** The running simulators, when --simulator was given; closed by {@link #close()}. */
    private SimulatorLauncher launcher;

    @Option(names = "--max-steps", paramLabel = "N", description = "Scripts: statements one run may execute (default: 10,000,000).")
    Long maxSteps;

    @Option(names = "--max-depth", paramLabel = "N", description = "Scripts: how deeply calls may nest (default: 1,000).")
    Integer maxDepth;

    /** What reports call the model. */
    String label() {
        return simulator != null ? "simulator:" + simulator : model;
    }

    /** Threads to run: one per simulator copy for external simulators. */
    int threads(int requested) {
        return simulator != null ? workers : requested;
    }

    /** Stops the simulators, if any were started. */
    void close() {
        if (launcher != null) {
            launcher.close();
            launcher = null;
        }
    }

    /** The model, loaded through the first source that accepts the spec, or the started simulators. */
    Model load() {
        if (simulator != null) {
            if (model != null) {
                throw new UsageException("give either MODEL or --simulator, not both");
            }
            if (workers <= 0) {
                throw new UsageException("--workers must be positive, got " + workers);
            }
            if (!(deadline > 0)) {
                throw new UsageException("--deadline must be positive, got " + deadline);
            }
            try {
                launcher = SimulatorLauncher.start(simulator, workers);
            } catch (java.io.IOException e) {
                throw new UsageException("--simulator: cannot start '" + simulator + "': " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UsageException("interrupted while starting the simulators");
            }
            return launcher.model((long) (deadline * 1000));
        }
        if (model == null) {
            throw new UsageException("give a MODEL (FILE.ppl or builtin:NAME) or --simulator \"CMD ARGS\"");
        }
        Map<String, Object> parameters = pairs(params, "--param");
        if (maxSteps != null) {
            if (maxSteps <= 0) {
                throw new UsageException("--max-steps must be positive, got " + maxSteps);
            }
            parameters.put(ScriptSource.MAX_STEPS, maxSteps);
        }
        if (maxDepth != null) {
            if (maxDepth <= 0) {
                throw new UsageException("--max-depth must be positive, got " + maxDepth);
            }
            parameters.put(ScriptSource.MAX_DEPTH, maxDepth);
        }
        List<ModelSource> sources = new ArrayList<>();
        ServiceLoader.load(ModelSource.class).forEach(sources::add);
        for (ModelSource s : sources) {
            if (s.accepts(model)) {
                try {
                    return s.load(model, parameters);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage(), e);
                }
            }
        }
        StringBuilder known = new StringBuilder();
        for (ModelSource s : sources) {
            known.append("\n  ").append(s.describe());
        }
        throw new UsageException("cannot tell what kind of model '" + model + "' is; MODEL may be:" + known);
    }

    /** The observations: the file's first, then each --observe on top. */
    Map<String, Object> observations() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (observationsFile != null) {
            out.putAll(Json.readObject(observationsFile, "--observations"));
        }
        out.putAll(pairs(observe, "--observe"));
        return out;
    }

    private static Map<String, Object> pairs(List<String> items, String option) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new UsageException(option + " " + item + ": expected NAME=VALUE, e.g. " + option + " obs0=8");
            }
            String name = item.substring(0, eq).trim();
            out.put(name, Json.parseValue(item.substring(eq + 1), option + " " + name));
        }
        return out;
    }
}
