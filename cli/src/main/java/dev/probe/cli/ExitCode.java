package dev.probe.cli;

/** The exit codes of ../shared/spec/CLI.md. */
final class ExitCode {

    static final int OK = 0;
    static final int OTHER = 1;
    static final int USAGE = 2;
    static final int MODEL = 3;
    static final int SIMULATOR = 4;

    private ExitCode() {
    }
}
