package dev.probe.cli;

import picocli.CommandLine.Option;

/** Options every running subcommand takes. */
final class CommonOptions {

    @Option(names = "--seed", paramLabel = "S", description = "Fixes the result (default: random, printed).")
    Long seed;

    @Option(names = "--threads", paramLabel = "T", description = "Parallel runs (default: all cores); never changes the result.")
    Integer threads;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Option(names = "--debug", description = "Stack traces with errors.")
    boolean debug;

    /**
     * The seed given, or a fresh one, printed on {@code err} with how to pass it again ("to
     * reproduce this result", say: {@code purpose}).
     */
    long seed(java.io.PrintWriter err, String purpose) {
        if (seed != null) {
            return seed;
        }
        long fresh = dev.probe.runtime.inference.Seeds.fresh();
        err.println("probe: seed " + fresh + " (pass --seed " + fresh + " " + purpose + ")");
        return fresh;
    }

    int threads() {
        if (threads == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        if (threads <= 0) {
            throw new UsageException("--threads must be positive, got " + threads);
        }
        return threads;
    }
}
