package dev.probe.language;

/** One error found in a script: where (1-based line and column) and what. */
public record Diagnostic(int line, int col, String message) {
}
