package dev.probe.cli;

import java.time.Duration;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Consumer;

import dev.probe.runtime.engine.Backend;

/**
 * A backend installed beside the command line, chosen with {@code --backend NAME}: found through
 * {@link ServiceLoader}, so that the command line never depends on it at compile time (the Flink
 * backend lives in its own module, and the {@code probe} launcher puts it on the class path only
 * when {@code --backend flink} is given).
 */
public interface BackendProvider {

    /** What {@code --backend} calls it. */
    String name();

    /**
     * A backend for one command's work. It closes (when it is {@link AutoCloseable}) when the command ends.
     *
     * @param target      where it runs, as the user gave it ({@code --flink embedded} or {@code HOST:PORT}); null for the default
     * @param parallelism the tasks to run at once, or 0 for the backend's own choice
     * @param replay      how a worker that cannot be handed the command's tasks re-creates them
     * @param slotWait    how long a job may go with no task running and nowhere to run one (every
     *                    worker lost) before the backend gives it up with an error
     * @throws IllegalArgumentException when {@code target} is malformed (a usage error)
     */
    Backend open(String target, int parallelism, Replay replay, Duration slotWait);

    /**
     * The same, with somewhere to tell the user what the backend does about a fault while the
     * work goes on (a lost worker, work run again): one line per event, which the command prints
     * as a warning. The default opens the backend without it.
     */
    default Backend open(String target, int parallelism, Replay replay, Duration slotWait, Consumer<String> warnings) {
        return open(target, parallelism, replay, slotWait);
    }

    /** The installed provider called {@code name}. */
    static Optional<BackendProvider> find(String name) {
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            if (p.name().equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
