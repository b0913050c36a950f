package dev.probe.cli;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.io.OutputStreamWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.probe.diagnostics.SampleFiles;
import dev.probe.diagnostics.WholeFile;
import dev.probe.runtime.posterior.Posterior;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code probe export POSTERIOR}: a saved posterior's draws as CSV or JSON lines. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Writes a saved posterior's draws as CSV or JSON lines: weights (and chain and draw for rmh), or"
                + " equally weighted draws with --resample.")
final class ExportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "POSTERIOR", description = "A posterior saved by probe infer --save.")
    Path posterior;

    @Option(names = "--format", paramLabel = "F", defaultValue = "csv", description = "csv or jsonl. Default: csv.")
    String format;

    @Option(names = "--resample", paramLabel = "N",
            description = "N equally weighted draws, resampled in proportion to the weights (systematic resampling).")
    Integer resample;

    @Option(names = "--seed", paramLabel = "S", description = "The resampling seed (default: random, printed).")
    Long seed;

    @Option(names = {"--out", "-o"}, paramLabel = "FILE", description = "Writes to FILE (default: standard output).")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        SampleFiles.Format f;
        try {
            f = SampleFiles.Format.named(format);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--format: " + e.getMessage());
        }
        if (resample != null && resample <= 0) {
            throw new UsageException("--resample must be positive, got " + resample);
        }
        if (seed != null && resample == null) {
            throw new UsageException("--seed is for --resample; add --resample N");
        }
        Posterior p = ResultFiles.posterior(posterior, "export");
        String smoothing = p.info().get(dev.probe.diagnostics.ParetoSmoothing.INFO_KEY);
        if (smoothing != null) {
            // The rows carry no room for it: said once, beside them.
            spec.commandLine().getErr().println("probe: note: these weights are smoothed (" + smoothing
                    + "); rerun probe infer without --smooth psis for the raw ones");
            spec.commandLine().getErr().flush();
        }
        if (resample != null) {
            CommonOptions seeds = new CommonOptions();
            seeds.seed = seed;
            p = p.resample(resample, seeds.seed(spec.commandLine().getErr(), "to get the same draws"));
        }
        if (out == null) {
            SampleFiles.write(p, f, spec.commandLine().getOut());
            return ExitCode.OK;
        }
        SampleFiles.Format chosen = f;
        Posterior draws = p;
        WholeFile.write(out, stream -> {
            Writer w = new OutputStreamWriter(stream, StandardCharsets.UTF_8);
            SampleFiles.write(draws, chosen, w);
        });
        return ExitCode.OK;
    }
}
