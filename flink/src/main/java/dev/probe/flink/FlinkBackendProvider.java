package dev.probe.flink;

import java.time.Duration;
import java.util.function.Consumer;

import dev.probe.cli.BackendProvider;
import dev.probe.cli.Replay;
import dev.probe.runtime.engine.Backend;

/** {@code --backend flink}: {@code --flink embedded} (the default) or {@code --flink HOST:PORT}. */
public final class FlinkBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return "flink";
    }

    @Override
    public Backend open(String target, int parallelism, Replay replay, Duration slotWait) {
        return open(target, parallelism, replay, slotWait, line -> { });
    }

    @Override
    public Backend open(String target, int parallelism, Replay replay, Duration slotWait, Consumer<String> warnings) {
        if (target == null || target.equals("embedded")) {
            return FlinkBackend.embedded(parallelism > 0 ? parallelism : Runtime.getRuntime().availableProcessors(), replay, slotWait,
                    warnings);
        }
        int colon = target.lastIndexOf(':');
        int port = -1;
        try {
            port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            // Reported below.
        }
        if (colon <= 0 || port <= 0 || port > 65535) {
            throw new IllegalArgumentException("--flink " + target
                    + ": expected embedded or HOST:PORT (a JobManager's REST endpoint, e.g. --flink localhost:8081)");
        }
        return FlinkBackend.remote(target.substring(0, colon), port, parallelism, replay, slotWait, warnings);
    }
}
