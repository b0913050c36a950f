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
