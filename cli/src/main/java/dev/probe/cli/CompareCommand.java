package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.diagnostics.Comparison;
import dev.probe.diagnostics.ParetoSmoothing;
import dev.probe.diagnostics.Samples;
import dev.probe.runtime.posterior.Posterior;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code probe compare A B}: how two posteriors differ, per variable and jointly. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Compares two posteriors (saved, or exported draws): per variable, mean and sd differences in Monte"
                + " Carlo standard errors and the Kolmogorov-Smirnov distance; jointly, the classifier two-sample test.")
final class CompareCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A", description = "A saved posterior or a CSV / JSON-lines export.")
    Path a;

    @Parameters(index = "1", paramLabel = "B", description = "The other one.")
    Path b;

    @Option(names = "--vars", paramLabel = "X,Y", split = ",", description = "Only these variables (default: every scalar variable in both).")
    List<String> vars;

    @Option(names = "--c2st-draws", paramLabel = "N", defaultValue = "2000",
            description = "Equally weighted draws per sample for the classifier test; 0 skips it. Default: 2000.")
    int c2stDraws;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the resampling and the classifier's training. Default: 1.")
    long seed;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (c2stDraws < 0) {
            throw new UsageException("--c2st-draws must not be negative, got " + c2stDraws);
        }
        Samples first = samples(a, "A");
        Samples second = samples(b, "B");
        List<String> names = new ArrayList<>();
        for (String n : first.names()) {
            if (second.names().contains(n)) {
                names.add(n);
            }
        }
        if (vars != null) {
            for (String v : vars) {
                if (!names.contains(v)) {
                    throw new UsageException("--vars: '" + v + "' is not a scalar variable of both; they share " + names);
                }
            }
            names = vars;
        }
        if (names.isEmpty()) {
            throw new UsageException("the two share no scalar variable: A has " + first.names() + ", B has " + second.names());
        }
        Comparison c = Comparison.of(first, second, names, c2stDraws, seed);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(json(c)));
        } else {
            out.print(table(c));
        }
        out.flush();
        return ExitCode.OK;
    }

    private static ObjectNode json(Comparison c) {
        ObjectNode root = Json.NODES.objectNode();
        ObjectNode vars = root.putObject("variables");
        for (Comparison.Variable v : c.variables()) {
            ObjectNode o = vars.putObject(v.name());
            o.put("mean_a", v.a().mean());
            o.put("mean_b", v.b().mean());
            o.put("mean_z", v.meanZ());
            o.put("sd_a", v.a().sd());
            o.put("sd_b", v.b().sd());
            o.put("sd_z", v.sdZ());
            o.put("ks", v.ks());
            o.put("ks_limit", v.ksLimit());
            o.put("differs", v.differs());
        }
        if (c.c2st() != null) {
            ObjectNode o = root.putObject("c2st");
            o.put("accuracy", c.c2st().accuracy());
            o.put("limit", c.c2st().limit());
            o.put("draws_a", c.c2st().drawsA());
            o.put("draws_b", c.c2st().drawsB());
            c.c2st().variables().forEach(o.putArray("variables")::add);
        } else {
            root.putNull("c2st");
        }
        root.put("same", c.same());
        root.put("verdict", c.verdict());
        return root;
    }

    /**
     * {@code file}'s draws; a saved posterior whose weights {@code --smooth psis} smoothed is
     * compared by those weights, which its draws carry with no room to say so: a note says it.
     */
    private Samples samples(Path file, String which) throws IOException {
        if (!ResultFiles.isPosterior(file)) {
            return ResultFiles.samples(file);
        }
        Posterior p = Posterior.load(file);
        String smoothing = p.info().get(ParetoSmoothing.INFO_KEY);
        if (smoothing != null) {
            spec.commandLine().getErr().println("probe: note: " + which + "'s weights are smoothed (" + smoothing
                    + "); the comparison uses them (rerun probe infer without --smooth psis for the raw ones)");
            spec.commandLine().getErr().flush();
        }
        return Samples.of(p);
    }

    private static String table(Comparison c) {
        StringBuilder sb = new StringBuilder();
        int width = "variable".length();
        for (Comparison.Variable v : c.variables()) {
            width = Math.max(width, v.name().length());
        }
        String row = "%-" + width + "s  %10s  %10s  %8s  %10s  %10s  %8s  %6s  %s%n";
        sb.append(String.format(Locale.ROOT, row, "variable", "mean A", "mean B", "z", "sd A", "sd B", "z", "KS", ""));
        for (Comparison.Variable v : c.variables()) {
            sb.append(String.format(Locale.ROOT, row, v.name(), f(v.a().mean()), f(v.b().mean()), z(v.meanZ()), f(v.a().sd()),
                    f(v.b().sd()), z(v.sdZ()), String.format(Locale.ROOT, "%.3f", v.ks()), v.differs() ? "differs" : ""));
        }
        if (c.c2st() != null) {
            sb.append(String.format(Locale.ROOT, "C2ST accuracy %.3f on %d + %d draws of %s (0.5: indistinguishable; above %.3f"
                    + " they differ)%n", c.c2st().accuracy(), c.c2st().drawsA(), c.c2st().drawsB(), c.c2st().variables(),
                    c.c2st().limit()));
        }
        sb.append(c.verdict()).append(System.lineSeparator());
        return sb.toString();
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private static String z(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
