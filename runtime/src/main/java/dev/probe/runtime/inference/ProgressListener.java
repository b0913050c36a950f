package dev.probe.runtime.inference;

/** Told how far a long inference has come. Called from worker threads; must be thread-safe and quick. */
@FunctionalInterface
public interface ProgressListener {

    /** No progress reports. */
    ProgressListener NONE = (done, total) -> {
    };

    /** {@code done} of {@code total} runs (or MH steps) are finished. */
    void progress(long done, long total);
}
