package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.probe.compiler.FocusedSource;
import dev.probe.proposals.Artifact;
import dev.probe.proposals.Devices;
import dev.probe.proposals.NetworkProposal;
import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineArguments;
import dev.probe.runtime.engine.EngineProvider;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.io.CheckedFile;
import dev.probe.runtime.model.MissingObservationException;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code probe infer MODEL}: posterior inference. */
@Command(name = "infer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Posterior inference: prints a summary table, or JSON with --json.")
final class InferCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "is",
            description = "An installed engine: ${COMPLETION-CANDIDATES}. Default: is.", completionCandidates = EngineNames.class)
    String engine;

    @Option(names = "--traces", paramLabel = "N", defaultValue = "10000",
            description = "Runs (for rmh: kept samples; for smc: particles). Default: 10000.")
    int traces;

    @Option(names = "--particles", paramLabel = "N", description = "smc, smc-tempered: particles (the same as --traces).")
    Integer particles;

    @Option(names = "--burn-in", paramLabel = "N", description = "rmh: steps dropped at the start of each chain (default: a fifth of the chain, at least 200).")
    Integer burnIn;

    @Option(names = "--thin", paramLabel = "K", description = "rmh: keep every K-th step. Default: 1.")
    Integer thin;

    @Option(names = "--chains", paramLabel = "C", description = "rmh: independent chains. Default: 4.")
    Integer chains;

    @Option(names = "--rejuvenate", paramLabel = "K",
            description = "smc: Metropolis-Hastings moves per particle after each resampling. Default: 0."
                    + " smc-tempered: the least rounds of moves (one independence, one block walk, one single-site) at each"
                    + " temperature. Default: 2.")
    Integer rejuvenate;

    @Option(names = "--max-rounds", paramLabel = "M",
            description = "smc-tempered: the most rounds of moves at each temperature (rounds go on past --rejuvenate until"
                    + " the particles have moved --jump population SDs per site). Default: 12.")
    Integer maxRounds;

    @Option(names = "--jump", paramLabel = "J",
            description = "smc-tempered: rounds go on until the particles' mean squared jump, in population SDs, reaches J"
                    + " per walked site; 0 keeps --rejuvenate rounds. Default: 1.")
    Double jump;

    @Option(names = "--ess-threshold", paramLabel = "F",
            description = "smc, smc-tempered: resample when the ESS falls under F times the particles. Default: 0.5.")
    Double essThreshold;

    @Option(names = "--cess", paramLabel = "F",
            description = "smc-tempered: each next temperature keeps F times the particles as conditional ESS. Default: 0.5.")
    Double cess;

    @Option(names = "--network", paramLabel = "DIR", description = "The trained network for --engine ic (or smc's proposals).")
    Path network;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu",
            description = "--engine ic: where the network runs: cpu, gpu or auto. Default: cpu.")
    String device;

    @Option(names = "--prior-mix", paramLabel = "P",
            description = "--engine ic: draw each choice from its prior with probability P (defensive importance"
                    + " sampling; guards posterior modes the network under-covers). Default: 0.")
    Double priorMix;

    @Option(names = "--widen", paramLabel = "W",
            description = "--engine ic: make each component of the network's proposals for real-valued choices W times as"
                    + " wide (heavier tails; guards regions of the posterior the network under-covers, which ESS does not"
                    + " show). Default: 1.")
    Double widen;

    @Option(names = "--defensive", paramLabel = "S",
            description = "--engine ic: propose the share S of runs, whole, from the network's proposal made twice as wide"
                    + " (defensive importance sampling: a run in the network's tails weighs at most 1/S of what the wider"
                    + " proposal gives it, so one run cannot take an inference over). Default: 0.")
    Double defensive;

    @Option(names = "--smooth", paramLabel = "METHOD",
            description = "psis: Pareto-smooth the largest importance weights (PSIS, Vehtari et al.) where their k-hat"
                    + " allows it (at most 0.7), for estimates of lower variance; the raw weights are kept, with a warning,"
                    + " where it does not. For importance-weighted runs (is, ic, smc...). Default: none.")
    String smooth;

    @Option(names = "--group", paramLabel = "K",
            description = "--engine ic: runs advanced side by side so that their network steps are batched (the result"
                    + " does not depend on it beyond float rounding). Default: 1 on the CPU (each run's step is made in"
                    + " Java), 32 on a GPU.")
    Integer group;

    @Option(names = "--save", paramLabel = "FILE", description = "Saves the weighted posterior for later loading.")
    Path save;

    @Option(names = "--report", paramLabel = "FILE", description = "Also writes an HTML report (summary, diagnostics, plots).")
    Path report;

    @Option(names = "--json", description = "Machine-readable summary on standard output.")
    boolean json;

    @Option(names = "--record-addresses", description = "Also summarise unnamed samples, by address.")
    boolean recordAddresses;

    @Mixin
    CommonOptions common;

    @Mixin
    BackendOptions backend;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The names of the installed engines, for the help text. */
    static final class EngineNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return EngineProvider.installed().stream().map(EngineProvider::name).iterator();
        }
    }

    /** The engines whose runs are particles, for which --particles is another name of --traces. */
    private static final java.util.Set<String> PARTICLE_ENGINES = java.util.Set.of("smc", "smc-tempered");
    /** Options of the network's proposal, taken by every engine that takes --network. */
    private static final java.util.Set<String> NETWORK_OPTIONS = java.util.Set.of("--group", "--prior-mix", "--widen",
            "--defensive");

    /** Probe's own engines whose samples carry no importance weights, for which --smooth has nothing to do. */
    private static final java.util.Set<String> UNWEIGHTED_ENGINES = java.util.Set.of("prior", "rmh");

    /** Probe's own engines, in the order its usage lists them; plug-ins follow. */
    private static final java.util.List<String> OWN_ENGINES = java.util.List.of("prior", "is", "rmh", "ic");

    /** The installed engines as a usage message lists them: "prior, is, rmh or ic, or a plug-in's: smc". */
    static String installedEngines() {
        java.util.List<String> installed = EngineProvider.installed().stream().map(EngineProvider::name).toList();
        java.util.List<String> own = OWN_ENGINES.stream().filter(installed::contains).toList();
        java.util.List<String> plugins = installed.stream().filter(n -> !OWN_ENGINES.contains(n)).toList();
        String first = own.size() < 2 ? String.join("", own)
                : String.join(", ", own.subList(0, own.size() - 1)) + " or " + own.get(own.size() - 1);
        return plugins.isEmpty() ? first : first + ", or a plug-in's: " + String.join(", ", plugins);
    }

    /** The engine-specific options given on the command line, by name. */
    private java.util.Map<String, Object> engineOptions() {
        java.util.Map<String, Object> given = new java.util.LinkedHashMap<>();
        given.put("--chains", chains);
        given.put("--burn-in", burnIn);
        given.put("--thin", thin);
        given.put("--rejuvenate", rejuvenate);
        given.put("--ess-threshold", essThreshold);
        given.put("--cess", cess);
        given.put("--max-rounds", maxRounds);
        given.put("--jump", jump);
        given.put("--network", network);
        given.put("--group", group);
        given.put("--prior-mix", priorMix);
        given.put("--widen", widen);
        given.put("--defensive", defensive);
        given.values().removeIf(java.util.Objects::isNull);
        return given;
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        backend.check(model);
        EngineProvider provider = EngineProvider.find(engine).orElseThrow(() -> new UsageException("--engine " + engine
                + ": unknown engine; choose " + installedEngines()));
        if (particles != null) {
            if (!PARTICLE_ENGINES.contains(engine)) {
                throw new UsageException("--particles is for --engine smc or smc-tempered; other engines take --traces");
            }
            traces = particles;
        }
        if (traces <= 0) {
            throw new UsageException((particles != null ? "--particles" : "--traces") + " must be positive, got " + traces);
        }
        if (group != null && group < 1) {
            throw new UsageException("--group must be positive, got " + group);
        }
        if (priorMix != null && !(priorMix >= 0 && priorMix < 1)) {
            throw new UsageException("--prior-mix must be at least 0 and below 1, got " + priorMix);
        }
        if (widen != null && !(widen >= 1 && widen <= NetworkProposal.MAX_WIDEN)) {
            throw new UsageException("--widen must be at least 1 (the network's own proposal) and at most "
                    + (int) NetworkProposal.MAX_WIDEN + ", got " + widen);
        }
        if (defensive != null && !(defensive >= 0 && defensive < 1)) {
            throw new UsageException("--defensive must be at least 0 and below 1, got " + defensive);
        }
        if (smooth != null && !smooth.equals("psis") && !smooth.equals("none")) {
            throw new UsageException("--smooth " + smooth + ": unknown method; choose psis (Pareto-smoothed importance"
                    + " sampling) or none");
        }
        if ("psis".equals(smooth) && UNWEIGHTED_ENGINES.contains(engine)) {
            throw new UsageException("--smooth psis smooths importance weights, and --engine " + engine + "'s samples carry"
                    + " equal weights: drop --smooth, or choose a weighted engine (is, ic)");
        }
        java.util.Map<String, Object> given = engineOptions();
        java.util.Set<String> accepted = new java.util.HashSet<>(provider.options());
        if (accepted.contains("--network")) {
            accepted.addAll(NETWORK_OPTIONS);
        }
        for (String option : given.keySet()) {
            if (!accepted.contains(option)) {
                String owners = EngineProvider.installed().stream().filter(p -> p.options().contains(option)
                        || (p.options().contains("--network") && NETWORK_OPTIONS.contains(option)))
                        .map(EngineProvider::name).collect(java.util.stream.Collectors.joining(" or "));
                throw new UsageException(owners.isEmpty() ? option + " is not an option of --engine " + engine
                        : option + " is for --engine " + owners + "; --engine " + engine + " would ignore it: drop it or choose "
                                + "that engine");
            }
        }
        // Where the result goes is checked, and held against other Probe processes, before any work.
        CheckedFile.Reservation saveLock = Outputs.reserve(save, CheckedFile.Kind.FILE, "--save");
        try {
            return loadAndInfer(provider, given, out, err);
        } finally {
            Outputs.release(saveLock);
        }
    }

    private Integer loadAndInfer(EngineProvider provider, java.util.Map<String, Object> given, PrintWriter out, PrintWriter err)
            throws IOException {
        Model loaded = model.load(err);
        Artifact artifact = null;
        try {
            if (network != null) {
                artifact = network(loaded);
                warnIfFocusedElsewhere(artifact, err);
                warnIfWokenElsewhere(artifact, err);
            }
            Proposal proposal = artifact == null ? null : new NetworkProposal(artifact.network(),
                    priorMix == null ? 0 : priorMix, widen == null ? 1 : widen, defensive == null ? 0 : defensive,
                    group != null ? group : artifact.suggestedGroupSize());
            Engine chosen;
            try {
                chosen = provider.create(new EngineArguments() {
                    @Override
                    public java.util.OptionalInt integer(String option) {
                        Object v = given.get(option);
                        return v == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(((Number) v).intValue());
                    }

                    @Override
                    public java.util.OptionalDouble real(String option) {
                        Object v = given.get(option);
                        return v == null ? java.util.OptionalDouble.empty()
                                : java.util.OptionalDouble.of(((Number) v).doubleValue());
                    }

                    @Override
                    public java.util.Optional<Proposal> network() {
                        return java.util.Optional.ofNullable(proposal);
                    }
                });
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            }
            return infer(loaded, chosen, out, err);
        } finally {
            if (artifact != null) {
                artifact.network().close();
            }
            model.close();
        }
    }

    /** The trained network of --network, checked against the model and the observations. */
    private Artifact network(Model loaded) throws IOException {
        // Each worker thread runs its own small network steps: one PyTorch thread each serves best.
        Devices.prepare(1);
        Artifact artifact;
        try {
            artifact = Artifact.load(network, Devices.choose(device));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        try {
            artifact.requireModel(loaded.identity(), model.label(), network);
            artifact.network().layout().input(model.observations());
        } catch (IllegalArgumentException | MissingObservationException e) {
            artifact.network().close();
            throw new UsageException(e.getMessage(), e);
        }
        return artifact;
    }

    /**
     * A network trained with compile --focus serves the observations near its focus: elsewhere
     * its proposals are still exact to use but may be poor, which a warning says.
     */
    private void warnIfFocusedElsewhere(Artifact artifact, PrintWriter err) {
        com.fasterxml.jackson.databind.JsonNode focus = artifact.training().path("focus");
        if (focus.isMissingNode()) {
            return;
        }
        // Only the focus's observations, as the network's layout already checked them.
        java.util.Map<String, Object> given = model.observations();
        java.util.Map<String, double[]> observed = new java.util.LinkedHashMap<>();
        focus.path("observation").properties().forEach(e -> {
            if (given.containsKey(e.getKey())) {
                observed.put(e.getKey(), dev.probe.proposals.ObservationLayout.flatten(given.get(e.getKey())));
            }
        });
        double[] d = FocusedSource.distance(focus, observed);
        if (d == null || d[0] > d[1]) {
            // Distances in the runs' spreads (the square root of the sum of squared scaled differences).
            err.printf(java.util.Locale.ROOT, "probe: warning: %s was trained for another observation (compile --focus %s):"
                    + " these observations are %s from it, its training runs within %.3g; its proposals may be poor here"
                    + " (train without --focus, or with --focus for these observations)%n", network,
                    focus.path("share").asText(), d == null ? "not measurable"
                            : String.format(java.util.Locale.ROOT, "%.3g spreads", Math.sqrt(d[0])),
                    Math.sqrt(focus.path("threshold").asDouble()));
            err.flush();
        }
    }

    /** A warning where the network's wake phase (compile --wake) trained it at other observations than these. */
    private void warnIfWokenElsewhere(Artifact artifact, PrintWriter err) {
        com.fasterxml.jackson.databind.JsonNode woken = artifact.training().path("wake").path("observation");
        if (woken.isMissingNode()) {
            return;
        }
        java.util.Map<String, Object> given = model.observations();
        java.util.List<String> differ = new java.util.ArrayList<>();
        woken.properties().forEach(e -> {
            double[] there = new double[e.getValue().size()];
            for (int i = 0; i < there.length; i++) {
                there[i] = e.getValue().get(i).asDouble();
            }
            Object here = given.get(e.getKey());
            if (here == null || !java.util.Arrays.equals(there, dev.probe.proposals.ObservationLayout.flatten(here))) {
                differ.add(e.getKey());
            }
        });
        if (!differ.isEmpty()) {
            err.printf(java.util.Locale.ROOT, "probe: warning: %s was trained further at another observation (compile --wake):"
                    + " %s differs; its proposals may be poor here (train it without --wake, or with --wake at these"
                    + " observations)%n", network, String.join(", ", differ));
            err.flush();
        }
    }

    /**
     * The posterior with its weights Pareto-smoothed where their k-hat allows (a line says how many
     * were), else as it is with a warning saying why: a tail too heavy for the fit to be trusted,
     * too few weighted runs, or no weights at all (a plug-in engine's equally weighted samples).
     */
    private Posterior smoothed(Posterior posterior, PrintWriter err) {
        if (!posterior.isWeighted()) {
            err.println("probe: warning: --smooth psis: --engine " + engine + "'s samples carry equal weights; nothing was"
                    + " smoothed");
            return posterior;
        }
        dev.probe.diagnostics.ParetoSmoothing.Outcome o = dev.probe.diagnostics.ParetoSmoothing.of(posterior);
        if (o.smoothed()) {
            err.printf(java.util.Locale.ROOT, "probe: Pareto-smoothed the largest %,d of %,d importance weights (k-hat %.2f)%n",
                    o.tail(), posterior.size(), o.khat());
        } else if (o.notFitted() != null) {
            err.println("probe: warning: --smooth psis: " + o.notFitted() + "; the raw weights are reported");
        } else {
            err.printf(java.util.Locale.ROOT, "probe: warning: --smooth psis: the weights' Pareto k-hat is %.2f, above %.2f,"
                    + " where smoothing cannot be trusted; the raw weights are reported, and they are unreliable too (see"
                    + " the diagnostics)%n", o.khat(), o.threshold());
        }
        err.flush();
        return o.smoothed() ? o.posterior() : posterior;
    }

    private Integer infer(Model loaded, Engine chosen, PrintWriter out, PrintWriter err) throws IOException {
        Inference inference = Inference.with(chosen, loaded);
        CommonOptions c = common;
        long seed = c.seed(err, "to reproduce this result");
        ProgressBar bar = new ProgressBar(err, engine.equals("rmh") ? "steps" : "runs");
        inference.observations(model.observations())
                .traces(traces).seed(seed).threads(model.threads(c.threads()))
                .recordAddresses(recordAddresses)
                .label(model.label());
        if (!c.quiet) {
            inference.progress(bar);
        }
        PhaseClock clock = PhaseClock.start();
        long t0 = System.nanoTime();
        Posterior posterior;
        try {
            if (!backend.local()) {
                inference.backend(backend.open(model.threads(c.threads()), seed, c.threads));
            }
            posterior = inference.run();
        } finally {
            backend.close();
            bar.finish();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if ("psis".equals(smooth)) {
            posterior = smoothed(posterior, err);
        }
        IOException unsaved = null;
        if (save != null) {
            try {
                posterior.save(save);
                err.println("probe: saved the posterior to " + save);
            } catch (IOException e) {
                unsaved = e;
            }
        }
        if (clock != null) {
            clock.mark("inference");
        }
        Summary summary = new Summary(model.label(), engine, traces, seed, seconds, posterior);
        if (clock != null) {
            clock.mark("diagnostics");
        }
        if (report != null) {
            dev.probe.diagnostics.Report.of(posterior, model.label()).write(report);
            err.println("probe: wrote the report to " + report);
        }
        if (json) {
            out.println(summary.toJson());
        } else {
            out.print(summary.toTable());
        }
        out.flush();
        if (clock != null) {
            clock.mark("table");
            err.println(clock.line());
        }
        if (unsaved != null) {
            // The summary above is the work's result; only the file is missing.
            err.println("probe: the posterior could not be saved to " + save + ": " + unsaved.getMessage()
                    + "; the summary above is complete: run again with --save elsewhere (and --seed " + seed + ") to keep it");
            return ExitCode.OTHER;
        }
        return ExitCode.OK;
    }
}
