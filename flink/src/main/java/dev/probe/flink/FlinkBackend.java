package dev.probe.flink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.probe.cli.Replay;
import dev.probe.runtime.ProbeException;
import dev.probe.runtime.engine.Backend;

/**
 * Tasks as a bounded Flink job. The tasks of one {@link #map} call are cut into contiguous ranges
 * (a few per slot), one record per range, so Flink's per-record cost is paid per range and never
 * per run. A worker cannot be handed the engine's tasks (they capture the model), so each range
 * re-creates them from the command's {@link Replay}; results travel back as bytes (in pieces of
 * at most {@link #PIECE_BYTES}) and are put in task order, whatever ran them and whenever they finished. A range lost with a TaskManager is
 * computed again by Flink's restart strategy: being a function of its index alone, it comes out
 * the same, and the job's results are read once, when it has finished.
 */
public final class FlinkBackend implements Backend, AutoCloseable {

    /** Ranges per slot: enough to even out uneven ranges, few enough that Flink's overhead stays small. */
    static final int RANGES_PER_SLOT = 4;

    /** The most tasks in a range: 32 blocks of 1,024 runs of a small model make about a megabyte of results. */
    static final int TASKS_PER_RANGE = 32;

    /** How long the cluster may take to answer before it counts as unreachable. */
    private static final Duration CONNECT = Duration.ofSeconds(5);

    private final String host;
    private final int port;
    private final int parallelism;
    private final Replay replay;
    private final MiniCluster embedded;
    /** The results of this backend's earlier calls, which workers replay. */
    private final List<List<Serializable>> calls = new ArrayList<>();

    private FlinkBackend(String host, int port, int parallelism, Replay replay, MiniCluster embedded) {
        this.host = host;
        this.port = port;
        this.parallelism = parallelism;
        this.replay = replay;
        this.embedded = embedded;
    }

    /** A mini-cluster in this process with {@code parallelism} slots. */
    public static FlinkBackend embedded(int parallelism, Replay replay) {
        Configuration conf = new Configuration();
        conf.setString("rest.address", "localhost");
        conf.setString("rest.bind-address", "localhost");
        conf.setString("rest.bind-port", "0");
        MiniClusterConfiguration config = new MiniClusterConfiguration.Builder().setConfiguration(conf)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(parallelism).build();
        MiniCluster cluster = new MiniCluster(config);
        try {
            cluster.start();
            URI rest = cluster.getRestAddress().get();
            return new FlinkBackend(rest.getHost(), rest.getPort(), parallelism, replay, cluster);
        } catch (Exception e) {
            try {
                cluster.close();
            } catch (Exception ignored) {
                // Already failing.
            }
            throw new ProbeException("--flink embedded: the mini-cluster did not start: " + e.getMessage(), e);
        }
    }

    /**
     * A session cluster's REST endpoint; {@code parallelism} 0 takes all its slots. Checks that it
     * answers (within seconds, never hanging) before any work.
     */
    public static FlinkBackend remote(String host, int port, int parallelism, Replay replay) {
        int slots = slots(host, port);
        if (slots <= 0) {
            throw new ProbeException("--flink " + host + ":" + port + ": the cluster has no task slots (no TaskManager"
                    + " registered); start its TaskManagers and try again");
        }
        return new FlinkBackend(host, port, parallelism > 0 ? parallelism : slots, replay, null);
    }

    /** The cluster's task slots, from its REST endpoint's overview. */
    static int slots(String host, int port) {
        String where = "--flink " + host + ":" + port;
        HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT).build();
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/overview"))
                    .timeout(CONNECT).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new ProbeException(where + ": not a Flink REST endpoint (HTTP " + r.statusCode() + " for /overview);"
                        + " give the JobManager's rest.port");
            }
            JsonNode overview = new ObjectMapper().readTree(r.body());
            if (!overview.has("slots-total")) {
                throw new ProbeException(where + ": not a Flink REST endpoint (no slots-total in /overview); give the"
                        + " JobManager's rest.port");
            }
            return overview.get("slots-total").asInt();
        } catch (IOException e) {
            throw new ProbeException(where + ": cannot reach the Flink cluster (" + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()) + "); is it running? (scripts/flink-cluster.sh start)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProbeException(where + ": interrupted while reaching the Flink cluster");
        }
    }

    @Override
    public int parallelism() {
        return parallelism;
    }

    @Override
    public <R extends Serializable> List<R> map(int count, Task<R> task) {
        int call = calls.size();
        // Enough ranges per slot to even out their lengths, and small enough ranges that a range's
        // results stay a few pieces (PIECE_BYTES) of the collect sink's messages.
        int ranges = Math.min(count, Math.max(parallelism * RANGES_PER_SLOT, (count + TASKS_PER_RANGE - 1) / TASKS_PER_RANGE));
        Object[] results = new Object[count];
        Replay.Outcome failed = null;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(host, port, jobConfiguration());
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.setParallelism(Math.min(parallelism, Math.max(1, ranges)));
        // No checkpoint is ever taken (a batch job), but with checkpointing on, at least once, the
        // collected results survive a restart of the job: ranges computed again arrive again, and
        // being the same, they replace their first copies.
        env.enableCheckpointing(Duration.ofMinutes(30).toMillis(), CheckpointingMode.AT_LEAST_ONCE);
        RangeTask work = new RangeTask(replay, parallelism, call, new ArrayList<>(calls), count, ranges);
        String name = "probe " + replay.args().get(0) + " (call " + call + ", " + count + " tasks in " + ranges + " ranges)";
        Pieces pieces = new Pieces(ranges);
        Thread cancel = null;
        try (CloseableIterator<Tuple4<Long, Long, Integer, byte[]>> out = env.fromSequence(0, ranges - 1).flatMap(work)
                .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.INT, Types.PRIMITIVE_ARRAY(Types.BYTE)))
                .executeAndCollect(name)) {
            // Should this process end first (Ctrl-C), the job is cancelled (closing an unfinished
            // collection cancels it): a session cluster does not go on with work nobody reads,
            // and its tasks stop their simulators.
            cancel = new Thread(() -> {
                try {
                    out.close();
                } catch (Exception e) {
                    // Exiting anyway.
                }
            }, "probe-flink-cancel");
            Runtime.getRuntime().addShutdownHook(cancel);
            while (out.hasNext()) {
                byte[] whole = pieces.add(out.next());
                if (whole == null) {
                    continue;
                }
                Replay.Outcome o = decode(whole);
                replay.heard(o);
                for (int i = 0; i < o.results().size(); i++) {
                    results[o.from() + i] = o.results().get(i);
                }
                if (o.failure() != null && (failed == null || o.failedTask() < failed.failedTask())) {
                    failed = o;
                }
            }
        } catch (ProbeException e) {
            throw e;
        } catch (Exception e) {
            throw new ProbeException("the Flink job failed: " + rootMessage(e), e);
        } finally {
            if (cancel != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cancel);
                } catch (IllegalStateException e) {
                    // The JVM is exiting: the hook is running.
                }
            }
        }
        if (failed != null) {
            throw failed.failure();
        }
        for (int r = 0; r < ranges; r++) {
            if (!pieces.complete(r)) {
                throw new ProbeException("the Flink job finished without range " + r + " of its " + ranges + " ranges of tasks");
            }
        }
        List<R> typed = new ArrayList<>(count);
        List<Serializable> kept = new ArrayList<>(count);
        for (Object r : results) {
            @SuppressWarnings("unchecked")
            R t = (R) r;
            typed.add(t);
            kept.add(t);
        }
        calls.add(kept);
        return typed;
    }

    /** What every job asks of the cluster: restarts of lost ranges, in batch. */
    private static Configuration jobConfiguration() {
        return Configuration.fromMap(Map.of(
                "restart-strategy.type", "fixed-delay",
                "restart-strategy.fixed-delay.attempts", "5",
                "restart-strategy.fixed-delay.delay", "1 s",
                "rest.retry.max-attempts", "3",
                "rest.retry.delay", "1 s",
                "rest.connection-timeout", "5 s",
                "collect-sink.batch-size.max", "2mb"));
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    @Override
    public void close() throws Exception {
        if (embedded != null) {
            embedded.close();
        }
    }

    static byte[] encode(Replay.Outcome outcome) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(outcome);
        }
        return bytes.toByteArray();
    }

    static Replay.Outcome decode(byte[] bytes) throws IOException, ClassNotFoundException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return (Replay.Outcome) in.readObject();
        }
    }

    /**
     * The most bytes of one record of results: the collect sink refuses a record larger than its
     * batch (2 MiB), so a range's results travel as pieces of at most this.
     */
    static final int PIECE_BYTES = 1 << 20;

    /**
     * A range's results put back together from their pieces, as they arrive, in any order. A
     * piece is (range, checksum of the range's bytes, piece number, bytes); a range computed again
     * after a restart arrives again, and its pieces, keyed by the checksum, never mix with another
     * copy's.
     */
    static final class Pieces {
        private final boolean[] done;
        private final Map<Long, Map<Long, List<byte[]>>> partial = new HashMap<>();

        Pieces(int ranges) {
            done = new boolean[ranges];
        }

        /** Adds a piece; returns its range's bytes when this piece completes them, the first time only. */
        byte[] add(Tuple4<Long, Long, Integer, byte[]> piece) {
            int range = piece.f0.intValue();
            if (done[range]) {
                return null;
            }
            int count = piece.f2 >>> 16;
            int number = piece.f2 & 0xFFFF;
            List<byte[]> got = partial.computeIfAbsent(piece.f0, r -> new HashMap<>()).computeIfAbsent(piece.f1,
                    c -> new ArrayList<>(Collections.nCopies(count, (byte[]) null)));
            got.set(number, piece.f3);
            if (got.contains(null)) {
                return null;
            }
            done[range] = true;
            partial.remove(piece.f0);
            ByteArrayOutputStream whole = new ByteArrayOutputStream();
            got.forEach(whole::writeBytes);
            return whole.toByteArray();
        }

        boolean complete(int range) {
            return done[range];
        }
    }

    /** A range's bytes as pieces: (range, CRC-32 of the bytes, count << 16 | number, bytes of piece). */
    static List<Tuple4<Long, Long, Integer, byte[]>> cut(long range, byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        int count = Math.max(1, (bytes.length + PIECE_BYTES - 1) / PIECE_BYTES);
        if (count > 0xFFFF) {
            throw new ProbeException("--backend flink: a range of tasks made " + bytes.length + " bytes of results, more than"
                    + " 64 GiB; run it with the local backend");
        }
        List<Tuple4<Long, Long, Integer, byte[]>> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] piece = Arrays.copyOfRange(bytes, i * PIECE_BYTES, Math.min(bytes.length, (i + 1) * PIECE_BYTES));
            out.add(Tuple4.of(range, crc.getValue(), count << 16 | i, piece));
        }
        return out;
    }

    /** One record per range of tasks: range r covers tasks [r count / ranges, (r + 1) count / ranges). */
    static final class RangeTask implements FlatMapFunction<Long, Tuple4<Long, Long, Integer, byte[]>> {
        private static final long serialVersionUID = 1L;
        private final Replay replay;
        private final int parallelism;
        private final int call;
        private final List<List<Serializable>> earlier;
        private final int count;
        private final int ranges;

        RangeTask(Replay replay, int parallelism, int call, List<List<Serializable>> earlier, int count, int ranges) {
            this.replay = replay;
            this.parallelism = parallelism;
            this.call = call;
            this.earlier = earlier;
            this.count = count;
            this.ranges = ranges;
        }

        @Override
        public void flatMap(Long range, Collector<Tuple4<Long, Long, Integer, byte[]>> out) throws IOException {
            int from = (int) (range * count / ranges);
            int to = (int) ((range + 1) * count / ranges);
            Replay.Outcome o = replay.tasks(parallelism, call, earlier, from, to);
            byte[] bytes;
            try {
                bytes = encode(o);
            } catch (java.io.NotSerializableException e) {
                // Told by message, and not retried: it would fail again the same way.
                RuntimeException f = o.failure() != null
                        ? new ProbeException(o.failure().getClass().getSimpleName() + ": " + o.failure().getMessage())
                        : new ProbeException("--backend flink: this engine's task results hold " + e.getMessage() + " objects, which"
                                + " cannot travel between machines; run it with the local backend");
                bytes = encode(new Replay.Outcome(o.from(), List.of(), f, o.failure() != null ? o.failedTask() : o.from(),
                        o.modelIdentity()));
            }
            cut(range, bytes).forEach(out::collect);
        }
    }
}
