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
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.flink.util.TimeUtils;

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

    /** Flink's default heartbeat.timeout, for a cluster that does not say its own. */
    static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(50);

    /** The delay before a failed job's first restart; each next one waits twice as long, up to {@link #LONGEST_RESTART}. */
    private static final Duration FIRST_RESTART = Duration.ofSeconds(1);
    private static final Duration LONGEST_RESTART = Duration.ofSeconds(16);
    /** What the restarts outlast beyond the heartbeat timeout: time to deploy the job again once the TaskManager is gone. */
    private static final Duration RESTART_MARGIN = Duration.ofSeconds(10);
    /** A job that runs this long without a failure starts its restart budget again. */
    private static final Duration RESET = Duration.ofHours(1);

    /** How long the cluster may take to answer before it counts as unreachable. */
    private static final Duration CONNECT = Duration.ofSeconds(5);

    private final String host;
    private final int port;
    private final int parallelism;
    private final Replay replay;
    private final MiniCluster embedded;
    /** How long a job may go with no task running and no free slot in the cluster before it is given up. */
    private final Duration slotWait;
    /** How many times a failed job is restarted: enough to outlast the cluster's heartbeat timeout. */
    private final int restarts;
    /** Where a job's lost tasks are told as they happen, a line each. */
    private final Consumer<String> warnings;
    /** The results of this backend's earlier calls, which workers replay. */
    private final List<List<Serializable>> calls = new ArrayList<>();

    private FlinkBackend(String host, int port, int parallelism, Replay replay, MiniCluster embedded, Duration slotWait,
            int restarts, Consumer<String> warnings) {
        this.slotWait = slotWait;
        this.restarts = restarts;
        this.warnings = warnings;
        this.host = host;
        this.port = port;
        this.parallelism = parallelism;
        this.replay = replay;
        this.embedded = embedded;
    }

    /**
     * A mini-cluster in this process with {@code parallelism} slots; a task that fails and is run
     * again is told to {@code warnings}, a line each.
     */
    public static FlinkBackend embedded(int parallelism, Replay replay, Duration slotWait, Consumer<String> warnings) {
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
            // Its TaskManager is this process: no heartbeat to outlast, only a task's own failure
            // (a simulator that did not attach), tried again over 15 s (four restarts).
            return new FlinkBackend(rest.getHost(), rest.getPort(), parallelism, replay, cluster, slotWait,
                    restarts(Duration.ZERO), warnings);
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
     * answers (within seconds, never hanging) before any work. A task that fails and is run again
     * is told to {@code warnings}, a line each.
     */
    public static FlinkBackend remote(String host, int port, int parallelism, Replay replay, Duration slotWait,
            Consumer<String> warnings) {
        int slots = slots(host, port);
        if (slots <= 0) {
            throw new ProbeException("--flink " + host + ":" + port + ": the cluster has no task slots (no TaskManager"
                    + " registered); start its TaskManagers and try again");
        }
        return new FlinkBackend(host, port, parallelism > 0 ? parallelism : slots, replay, null, slotWait,
                restarts(heartbeatTimeout(host, port)), warnings);
    }

    /**
     * The cluster's {@code heartbeat.timeout}, from its REST endpoint: the longest a JobManager may
     * go on deploying tasks to a TaskManager that was killed (it counts one as lost when two
     * heartbeats fail, or at the latest after this timeout). Flink's default where the cluster
     * does not say.
     */
    static Duration heartbeatTimeout(String host, int port) {
        try {
            JsonNode config = getJson(HttpClient.newBuilder().connectTimeout(CONNECT).build(),
                    URI.create("http://" + host + ":" + port + "/jobmanager/config"));
            for (JsonNode entry : config == null ? List.<JsonNode>of() : config) {
                if (entry.path("key").asText().equals("heartbeat.timeout")) {
                    return TimeUtils.parseDuration(entry.path("value").asText());
                }
            }
        } catch (RuntimeException e) {
            // An unreadable value: the default below (the budget only decides how long a job keeps trying).
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_HEARTBEAT_TIMEOUT;
    }

    /** The JSON a GET of {@code uri} answers with HTTP 200, or null where it answers otherwise or not at all. */
    private static JsonNode getJson(HttpClient http, URI uri) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(CONNECT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How many restarts, {@link #FIRST_RESTART} apart and doubling up to {@link #LONGEST_RESTART},
     * add up to the heartbeat timeout and {@link #RESTART_MARGIN} more. A TaskManager killed
     * mid-job keeps its slots until the JobManager counts it as lost, and every restart before
     * then may be deployed to it again and fail; five restarts a second apart were all spent that
     * way on a loaded machine. A fault that every attempt meets (a simulator that cannot attach)
     * fails the job after the whole budget: about a minute with Flink's default timeout.
     */
    static int restarts(Duration heartbeatTimeout) {
        long needed = heartbeatTimeout.plus(RESTART_MARGIN).toMillis();
        long delay = FIRST_RESTART.toMillis();
        long total = 0;
        int n = 0;
        while (total < needed) {
            total += delay;
            n++;
            delay = Math.min(2 * delay, LONGEST_RESTART.toMillis());
        }
        return n;
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
            JsonNode overview = JSON.readTree(r.body());
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
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createRemoteEnvironment(host, port, jobConfiguration(restarts));
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
        DataStream.Collector<Tuple4<Long, Long, Integer, byte[]>> sink = new DataStream.Collector<>();
        env.fromSequence(0, ranges - 1).flatMap(work)
                .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.INT, Types.PRIMITIVE_ARRAY(Types.BYTE))).collectAsync(sink);
        JobClient client;
        try {
            client = env.executeAsync(name);
        } catch (Exception e) {
            throw new ProbeException("--flink " + host + ":" + port + ": the job was not accepted: " + rootMessage(e), e);
        }
        Stall stall = null;
        boolean completed = false;
        try (CloseableIterator<Tuple4<Long, Long, Integer, byte[]>> out = sink.getOutput()) {
            stall = new Stall(host, port, embedded != null ? "embedded" : host + ":" + port, client, out, slotWait, restarts,
                    warnings);
            stall.start();
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
            while (out.hasNext() && stall.verdict() == null) {
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
            completed = stall.verdict() == null;
        } catch (ProbeException e) {
            throw e;
        } catch (Exception e) {
            if (stall != null && stall.verdict() != null) {
                throw new ProbeException(stall.verdict());
            }
            if (rootCause(e) instanceof java.net.ConnectException) {
                // The JobManager gone mid-job (killed, or its machine lost): the results it held are lost with it.
                throw new ProbeException("--flink " + host + ":" + port + ": lost the Flink cluster mid-job (" + rootMessage(e)
                        + "); nothing was saved: start the cluster again (scripts/flink-cluster.sh start) and run the same"
                        + " command, whose seed gives the same result", e);
            }
            throw new ProbeException("the Flink job failed: " + rootMessage(e), e);
        } finally {
            if (stall != null) {
                stall.finish(completed);
            }
            if (cancel != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cancel);
                } catch (IllegalStateException e) {
                    // The JVM is exiting: the hook is running.
                }
            }
        }
        if (stall.verdict() != null) {
            throw new ProbeException(stall.verdict());
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

    /** What every job asks of the cluster: restarts of lost ranges ({@link #restarts}), in batch. */
    private static Configuration jobConfiguration(int restarts) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("restart-strategy.type", "exponential-delay");
        c.put("restart-strategy.exponential-delay.initial-backoff", FIRST_RESTART.toMillis() + " ms");
        c.put("restart-strategy.exponential-delay.backoff-multiplier", "2.0");
        c.put("restart-strategy.exponential-delay.max-backoff", LONGEST_RESTART.toMillis() + " ms");
        c.put("restart-strategy.exponential-delay.jitter-factor", "0");
        c.put("restart-strategy.exponential-delay.attempts-before-reset-backoff", Integer.toString(restarts));
        c.put("restart-strategy.exponential-delay.reset-backoff-threshold", RESET.toMinutes() + " min");
        c.put("rest.retry.max-attempts", "3");
        c.put("rest.retry.delay", "1 s");
        c.put("rest.connection-timeout", "5 s");
        c.put("collect-sink.batch-size.max", "2mb");
        return Configuration.fromMap(c);
    }

    /**
     * Watches a job through the cluster's REST endpoint, once a second: when for {@code wait} on
     * end the job has had no task running (or being deployed) and the cluster no free slot (every
     * TaskManager lost, or all slots held by other jobs), Flink would keep the job waiting, and
     * the driver with it; instead the job is cancelled and the verdict names the cluster and the
     * fix. Any moment with a task running or a slot free starts the count again. A poll that the
     * endpoint does not answer counts as neither: a lost JobManager fails the collection itself.
     */
    static final class Stall extends Thread {
        private final String where;
        /** The cluster as the user named it: {@code --flink LABEL}. */
        private final String label;
        private final URI overview;
        private final URI job;
        private final URI exceptions;
        private final JobClient client;
        private final AutoCloseable results;
        private final Duration wait;
        private final int restarts;
        private final Consumer<String> warnings;
        /** The latest failure in the job's exception history already told, by its timestamp (ms), and how many were. */
        private long toldUntil = Long.MIN_VALUE;
        private int told;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(CONNECT).build();
        private volatile String verdict;
        private volatile boolean givingUp;
        /** How long the cluster may take to confirm the cancellation of a job given up. */
        private static final Duration CANCEL_CONFIRMED = Duration.ofSeconds(60);

        Stall(String host, int port, String label, JobClient client, AutoCloseable results, Duration wait, int restarts,
                Consumer<String> warnings) {
            super("probe-flink-stall");
            setDaemon(true);
            this.where = host + ":" + port;
            this.label = label;
            this.overview = URI.create("http://" + where + "/overview");
            this.job = URI.create("http://" + where + "/jobs/" + client.getJobID().toHexString());
            this.exceptions = URI.create(job + "/exceptions");
            this.client = client;
            this.results = results;
            this.wait = wait;
            this.restarts = restarts;
            this.warnings = warnings;
        }

        /** Why the job was given up (once the cluster has been told, waiting for that), or null while it was not. */
        String verdict() {
            if (givingUp && Thread.currentThread() != this) {
                try {
                    join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return verdict;
        }

        @Override
        public void run() {
            long since = -1;
            try {
                while (!isInterrupted()) {
                    Thread.sleep(1000);
                    JsonNode j = get(job);
                    JsonNode o = get(overview);
                    if (j == null || o == null || !j.has("state") || !o.has("slots-available")) {
                        continue;
                    }
                    String state = j.get("state").asText();
                    if (state.equals("FAILING") || state.equals("FAILED") || state.equals("CANCELLING") || state.equals("CANCELED")) {
                        // The driver reports why (the job's last failure is not one it recovers from).
                        return;
                    }
                    tellFailures();
                    if (state.equals("FINISHED")) {
                        return;
                    }
                    long now = System.nanoTime();
                    if (running(j) > 0 || o.get("slots-available").asInt() > 0) {
                        since = -1;
                        continue;
                    }
                    if (since < 0) {
                        since = now;
                    } else if (now - since >= wait.toNanos()) {
                        giveUp(o.path("taskmanagers").asInt(), o.path("slots-total").asInt());
                        return;
                    }
                }
            } catch (InterruptedException e) {
                // The job ended: nothing to watch.
            }
        }

        /**
         * Stops watching and, for a job whose results have all arrived, tells the failures it
         * recovered from that the last polls had not yet seen (the REST endpoint serves a job's
         * history from a cache a few seconds old).
         */
        void finish(boolean completed) {
            interrupt();
            try {
                join(JOIN.toMillis());
                if (completed && !isAlive()) {
                    tellFailures();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** How long the driver waits for the watcher to stop: longer than one REST request may take. */
        private static final Duration JOIN = CONNECT.multipliedBy(3);

        /**
         * Tells each failure in the job's exception history not told yet, oldest first: the user
         * of a job that restarts for a minute learns why while it does, not only if it fails. A
         * failure past the restart budget is the job's end, which the driver reports itself; the
         * count starts again after {@link #RESET} without a failure, as Flink's does.
         */
        private void tellFailures() throws InterruptedException {
            JsonNode entries = Optional.ofNullable(get(exceptions)).map(e -> e.path("exceptionHistory").path("entries")).orElse(null);
            if (entries == null || !entries.isArray()) {
                return;
            }
            List<JsonNode> fresh = new ArrayList<>();
            for (JsonNode e : entries) {
                if (e.path("timestamp").asLong() > toldUntil) {
                    fresh.add(e);
                }
            }
            fresh.sort(Comparator.comparingLong(e -> e.path("timestamp").asLong()));
            for (JsonNode e : fresh) {
                long at = e.path("timestamp").asLong();
                if (told > 0 && at - toldUntil >= RESET.toMillis()) {
                    told = 0;
                }
                toldUntil = Math.max(toldUntil, at);
                told++;
                if (told > restarts) {
                    continue;
                }
                try {
                    warnings.accept(failure(label, e, told, restarts));
                } catch (RuntimeException ignored) {
                    // A listener's fault must not stop the watch (it also gives up jobs left without slots).
                }
            }
        }

        /** One line for the user on failure {@code n} of a job allowed {@code restarts} restarts. */
        static String failure(String label, JsonNode entry, int n, int restarts) {
            String trace = entry.path("stacktrace").asText("");
            String first = trace.lines().findFirst().orElse(entry.path("exceptionName").asText("an unnamed failure")).strip();
            // The exception's simple name: "org.apache.flink...SomeException: message" -> "SomeException: message".
            int colon = first.indexOf(':');
            String name = colon < 0 ? first : first.substring(0, colon);
            String shortened = name.substring(name.lastIndexOf('.') + 1) + (colon < 0 ? "" : first.substring(colon));
            if (shortened.length() > FAILURE_CHARS) {
                shortened = shortened.substring(0, FAILURE_CHARS) + "...";
            }
            String endpoint = entry.path("endpoint").asText("");
            if (endpoint.endsWith(":-1")) {
                endpoint = ""; // A mini-cluster's TaskManager, in this process: no address to tell.
            }
            String task = entry.path("taskName").asText("");
            return "--flink " + label + ": " + (task.isEmpty() ? "the job" : "a task") + " failed"
                    + (endpoint.isEmpty() ? "" : " on " + endpoint) + " (" + shortened + "); Flink runs its work again, which"
                    + " changes no result (failure " + n + "; the job fails after " + restarts + " restarts, "
                    + FIRST_RESTART.toSeconds() + " to " + LONGEST_RESTART.toSeconds() + " s apart)";
        }

        /** The most characters of a failure's first line told. */
        private static final int FAILURE_CHARS = 300;

        /** The job's tasks running, or on their way to it. */
        private static int running(JsonNode job) {
            int n = 0;
            for (JsonNode v : job.path("vertices")) {
                JsonNode tasks = v.path("tasks");
                n += tasks.path("RUNNING").asInt() + tasks.path("DEPLOYING").asInt() + tasks.path("INITIALIZING").asInt();
            }
            return n;
        }

        private void giveUp(int taskManagers, int slots) {
            givingUp = true;
            String why = "--flink " + label + ": the job had no task running and the cluster no free task slot for "
                    + wait.toSeconds() + " s (" + (taskManagers == 0 ? "no TaskManager is registered: every one was lost"
                            : taskManagers + " TaskManagers with " + slots + " slots, all held by other jobs")
                    + "), so it was cancelled. Start the cluster's TaskManagers again (scripts/flink-cluster.sh"
                    + " start-taskmanagers for a cluster it started) or free slots, then run the command again; or let"
                    + " jobs wait longer for slots with --flink-slot-wait SECONDS";
            try {
                client.cancel().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // Closing the results below cancels it too.
            }
            try {
                results.close();
            } catch (Exception e) {
                // The driver reports the verdict whatever the collection does.
            }
            // A cancel is acknowledged before the job has ended: the verdict says "cancelled" only
            // once the cluster does (a job left waiting for slots would hold the cluster's next ones).
            long end = System.nanoTime() + CANCEL_CONFIRMED.toNanos();
            try {
                while (System.nanoTime() < end) {
                    JsonNode j = get(job);
                    String state = j == null ? "" : j.path("state").asText();
                    if (state.equals("CANCELED") || state.equals("FAILED") || state.equals("FINISHED")) {
                        verdict = why;
                        return;
                    }
                    Thread.sleep(500);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            verdict = why.replace("so it was cancelled", "so it was cancelled, but the cluster had not confirmed it after "
                    + CANCEL_CONFIRMED.toSeconds() + " s (cancel job " + client.getJobID() + " from Flink's web UI if it is still"
                    + " listed)");
        }

        private JsonNode get(URI uri) throws InterruptedException {
            return getJson(http, uri);
        }
    }

    private static Throwable rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = rootCause(e);
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
