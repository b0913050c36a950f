package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.diagnostics.Calibration;
import dev.probe.diagnostics.Report;
import dev.probe.diagnostics.Sbc;
import dev.probe.diagnostics.WholeFile;
import dev.probe.proposals.Artifact;
import dev.probe.proposals.Devices;
import dev.probe.proposals.NetworkProposal;
import dev.probe.runtime.engine.EngineArguments;
import dev.probe.runtime.engine.EngineProvider;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code probe calibrate MODEL --engine E --runs N}: simulation-based calibration of an engine on a model. */
@Command(name = "calibrate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Simulation-based calibration: draws parameters and observations from the prior, infers each, and"
                + " tests that the ranks of the true values among the posterior draws are uniform.")
final class CalibrateCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "is",
            description = "is, rmh, ic, or a plug-in engine (smc, smc-tempered) with its default options. Default: is.")
    String engine;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "200", description = "Simulated data sets. Default: 200.")
    int runs;

    @Option(names = "--traces", paramLabel = "M", defaultValue = "1000", description = "Runs (rmh: kept draws) per inference. Default: 1000.")
    int traces;

    @Option(names = "--draws", paramLabel = "L", defaultValue = "99",
            description = "Posterior draws each truth is ranked among; L + 1 must be a multiple of --bins. Default: 99.")
    int draws;

    @Option(names = "--bins", paramLabel = "B", defaultValue = "20", description = "Bins of the chi-square test. Default: 20.")
    int bins;

    @Option(names = "--network", paramLabel = "DIR", description = "The trained network for --engine ic (or a plug-in engine's proposals).")
    Path network;

    @Option(names = "--engine-option", paramLabel = "NAME=VALUE",
            description = "A plug-in engine's option, as probe infer takes it without its dashes (e.g. --engine-option"
                    + " rejuvenate=4); repeatable."
                    + " Default: the engine's defaults.")
    java.util.Map<String, String> engineOptions = new java.util.LinkedHashMap<>();

    @Option(names = "--json", description = "Machine-readable result on standard output.")
    boolean json;

    @Option(names = "--out", paramLabel = "FILE", description = "Also saves the result as JSON (for probe report).")
    Path out;

    @Option(names = "--report", paramLabel = "FILE", description = "Also writes an HTML report with the rank histograms.")
    Path report;

    @Mixin
    CommonOptions common;

    @Mixin
    BackendOptions backend;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The network a plug-in engine was given (closed with the command), or null. */
    @Override
    public Integer call() throws IOException {
        if (runs < 2) {
            throw new UsageException("--runs must be at least 2, got " + runs);
        }
        if (traces <= 0 || draws <= 0) {
            throw new UsageException("--traces and --draws must be positive");
        }
        if (bins < 2 || (draws + 1) % bins != 0) {
            throw new UsageException("--draws " + draws + " gives " + (draws + 1) + " possible ranks, which do not fall into --bins "
                    + bins + " equal bins: choose L + 1 a multiple of B (the default 99 and 20 do)");
        }
        if (runs < 5 * bins) {
            // Pearson's chi-square needs about 5 expected ranks per bin to follow its distribution.
            throw new UsageException("--runs " + runs + " gives fewer than 5 ranks per bin of " + bins + ": use at least "
                    + 5 * bins + " runs, or fewer bins (with L + 1 a multiple of them)");
        }
        backend.check(model);
        PrintWriter err = spec.commandLine().getErr();
        Model loaded = model.load(err);
        Artifact artifact = null;
        try {
            // A plug-in engine (smc...) runs with its default options (or --engine-option's), and the network where it takes one.
            EngineProvider plugIn = switch (engine) {
                case "is", "rmh", "ic" -> null;
                default -> EngineProvider.find(engine).filter(p -> !p.name().equals("prior"))
                        .orElseThrow(() -> new UsageException("--engine " + engine + ": calibrate runs is, rmh, ic or"
                                + " an installed plug-in engine (" + InferCommand.installedEngines() + ")"));
            };
            if (plugIn == null && !engineOptions.isEmpty()) {
                throw new UsageException("--engine-option is for plug-in engines (" + InferCommand.installedEngines()
                        + "), not --engine " + engine);
            }
            boolean takesNetwork = engine.equals("ic") || (plugIn != null && plugIn.options().contains("--network"));
            if (network != null && takesNetwork) {
                Devices.prepare(1);
                try {
                    artifact = Artifact.load(network, Devices.choose("cpu"));
                    artifact.requireModel(loaded.identity(), model.label(), network);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage(), e);
                }
            } else if (network != null) {
                throw new UsageException("--network is not an option of --engine " + engine + "; it is for ic and plug-in engines"
                        + " that take proposals (smc, smc-tempered)");
            }
            Artifact a = artifact;
            Supplier<Proposal> proposal = () -> a == null ? null
                    : new NetworkProposal(a.network(), 0, a.suggestedGroupSize());
            Supplier<Inference> factory;
            switch (engine) {
                case "is":
                    factory = () -> Inference.importanceSampling(loaded).traces(traces);
                    break;
                case "rmh":
                    factory = () -> Inference.metropolisHastings(loaded).traces(traces);
                    break;
                case "ic":
                    if (a == null) {
                        throw new UsageException("--engine ic needs --network DIR: a network trained for this model by probe compile");
                    }
                    factory = () -> Inference.importanceSampling(loaded).traces(traces).proposal(proposal.get());
                    break;
                default:
                    java.util.Map<String, String> options = new java.util.HashMap<>();
                    engineOptions.forEach((k, v) -> options.put(k.startsWith("-") ? k : "--" + k, v));
                    for (String option : options.keySet()) {
                        if (!plugIn.options().contains(option) || option.equals("--network")) {
                            throw new UsageException("--engine-option " + option + ": not an option of --engine " + engine
                                    + " (it takes " + new java.util.TreeSet<>(plugIn.options()) + "; --network is given as"
                                    + " itself)");
                        }
                    }
                    EngineArguments arguments = new EngineArguments() {
                        @Override
                        public OptionalInt integer(String option) {
                            String v = options.get(option);
                            try {
                                return v == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(v.trim()));
                            } catch (NumberFormatException e) {
                                throw new IllegalArgumentException("--engine-option " + option + "=" + v + ": not a whole number");
                            }
                        }

                        @Override
                        public OptionalDouble real(String option) {
                            String v = options.get(option);
                            try {
                                return v == null ? OptionalDouble.empty() : OptionalDouble.of(Double.parseDouble(v.trim()));
                            } catch (NumberFormatException e) {
                                throw new IllegalArgumentException("--engine-option " + option + "=" + v + ": not a number");
                            }
                        }

                        @Override
                        public Optional<Proposal> network() {
                            return Optional.ofNullable(proposal.get());
                        }
                    };
                    try {
                        plugIn.create(arguments);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException(e.getMessage(), e);
                    }
                    factory = () -> Inference.with(plugIn.create(arguments), loaded).traces(traces);
            }
            long seed = common.seed(err, "to reproduce this calibration");
            Calibration c;
            int threads = model.threads(common.threads());
            try {
                c = Calibration.run(Inference.prior(loaded).observations(model.observations()), factory, runs, draws, bins, seed,
                        threads, backend.open(threads, seed, common.threads));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage(), e);
            } finally {
                backend.close();
            }
            String description = String.format(Locale.ROOT, "%s, engine %s, %d simulated data sets, %d traces each, ranks among %d"
                    + " draws, %d bins, seed %d.", model.label(), engine, runs, traces, draws, bins, seed);
            ObjectNode result = json(c, description);
            if (out != null) {
                byte[] bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(result);
                WholeFile.write(out, s -> s.write(bytes));
            }
            if (report != null) {
                Report.ofCalibration("Calibration of " + engine + " on " + model.label(), description, c.names(), c.tests(), c.alpha())
                        .write(report);
                err.println("probe: wrote the report to " + report);
            }
            PrintWriter o = spec.commandLine().getOut();
            o.print(json ? Json.MAPPER.writeValueAsString(result) + System.lineSeparator() : table(c, description));
            o.flush();
            return c.passes() ? ExitCode.OK : ExitCode.OTHER;
        } finally {
            if (artifact != null) {
                artifact.network().close();
            }
            model.close();
        }
    }

    /** The result as JSON; {@code probe report} reads it back ("calibration" marks it). */
    static ObjectNode json(Calibration c, String description) {
        ObjectNode root = Json.NODES.objectNode();
        root.put("calibration", description);
        root.put("draws", c.draws());
        root.put("bins", c.bins());
        root.put("alpha", c.alpha());
        root.put("passes", c.passes());
        c.skipped().forEach(root.putArray("skipped")::add);
        ObjectNode vars = root.putObject("variables");
        List<Sbc.Uniformity> tests = c.tests();
        for (int v = 0; v < c.names().size(); v++) {
            ObjectNode o = vars.putObject(c.names().get(v));
            o.put("chi_square", tests.get(v).statistic());
            o.put("df", tests.get(v).degreesOfFreedom());
            o.put("p_value", tests.get(v).pValue());
            ArrayNode counts = o.putArray("counts");
            for (long n : tests.get(v).counts()) {
                counts.add(n);
            }
            ArrayNode ranks = o.putArray("ranks");
            for (int r : c.ranks()[v]) {
                ranks.add(r);
            }
        }
        return root;
    }

    private static String table(Calibration c, String description) {
        StringBuilder sb = new StringBuilder(description).append(System.lineSeparator());
        List<Sbc.Uniformity> tests = c.tests();
        for (int v = 0; v < c.names().size(); v++) {
            Sbc.Uniformity u = tests.get(v);
            sb.append(String.format(Locale.ROOT, "%-12s chi-square %7.2f on %d df   p = %.4g%n", c.names().get(v), u.statistic(),
                    u.degreesOfFreedom(), u.pValue()));
        }
        for (String note : c.skipped()) {
            sb.append("not ranked: ").append(note).append(System.lineSeparator());
        }
        sb.append(c.passes()
                ? String.format(Locale.ROOT, "verdict: calibrated (every p-value at least %.3g)%n", c.alpha() / c.names().size())
                : String.format(Locale.ROOT, "verdict: MISCALIBRATED (a p-value below %.3g: the engine's posteriors are too narrow,"
                        + " too wide or shifted; see the rank histograms with --report)%n", c.alpha() / c.names().size()));
        return sb.toString();
    }
}
