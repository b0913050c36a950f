package dev.probe.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.probe.runtime.engine.Backend;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --backend local|flink} and {@code --flink embedded|HOST:PORT}: where a command's work
 * runs. Local threads by default; any other backend is a {@link BackendProvider} on the class
 * path. A backend elsewhere re-creates the command's tasks from a {@link Replay} of the command.
 */
final class BackendOptions {

    @Option(names = "--backend", paramLabel = "local|flink", defaultValue = "local",
            description = "Where the work runs: local (threads of this process, default) or flink (an Apache Flink cluster,"
                    + " see --flink). Never changes the result.")
    String backend = "local";

    @Option(names = "--flink", paramLabel = "embedded|HOST:PORT",
            description = "--backend flink: a session cluster's REST endpoint (HOST:PORT), or embedded: a mini-cluster in this"
                    + " process. Default: embedded.")
    String flink;

    /** How long a cluster job may wait for a slot, with none of its tasks running, unless --flink-slot-wait says otherwise. */
    static final int SLOT_WAIT_SECONDS = 120;

    @Option(names = "--flink-slot-wait", paramLabel = "SECONDS",
            description = "--backend flink: how long a job may go with no task running and no free task slot in the cluster"
                    + " (every TaskManager lost) before it is cancelled with an error. Default: " + SLOT_WAIT_SECONDS + ".")
    Integer slotWait;

    @Option(names = "--network-shared",
            description = "--backend flink: --network DIR is at the same path on every worker (a shared file system), so"
                    + " workers read it there; without it, the network's files travel with the job.")
    boolean networkShared;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Set while a worker replays a command: the backend that computes its share of the tasks. */
    static final ThreadLocal<Backend> REPLAYING = new ThreadLocal<>();

    /** Options a worker's replay must not repeat: outputs, where the work runs, and what the replay sets itself. */
    private static final Set<String> NOT_REPLAYED = Set.of("--save", "--report", "--out", "--backend", "--flink", "--seed",
            "--threads", "--token-file", "--flink-slot-wait");
    private static final Set<String> FLAGS_NOT_REPLAYED = Set.of("--quiet", "--json", "--debug", "--network-shared");
    /** Paths every worker must see at the driver's path: made absolute, since a worker runs elsewhere. */
    private static final Set<String> SHARED_PATHS = Set.of("--save-dataset", "--network");

    private AutoCloseable opened;

    /**
     * True while a worker replays the command: a command then skips what only the driver does
     * (holding its output files against other processes, writing them).
     */
    static boolean replaying() {
        return REPLAYING.get() != null;
    }

    /** True when the work runs on this process's threads. */
    boolean local() {
        return REPLAYING.get() == null && backend.equals("local");
    }

    /** The command's model options, told by {@link #check(ModelOptions)} where its simulators run. */
    private ModelOptions model;

    /** Checks the options before any work: a usage error names the fix. */
    void check() {
        if (!backend.equals("local") && !backend.equals("flink")) {
            throw new UsageException("--backend " + backend + ": unknown backend; choose local or flink");
        }
        if (flink != null && !backend.equals("flink")) {
            throw new UsageException("--flink is for --backend flink: add --backend flink, or drop --flink");
        }
        if (slotWait != null && !backend.equals("flink")) {
            throw new UsageException("--flink-slot-wait is for --backend flink: add --backend flink, or drop --flink-slot-wait");
        }
        if (networkShared && !backend.equals("flink")) {
            throw new UsageException("--network-shared is for --backend flink (workers elsewhere): drop it");
        }
        if (slotWait != null && slotWait <= 0) {
            throw new UsageException("--flink-slot-wait " + slotWait + ": give a positive number of seconds (default "
                    + SLOT_WAIT_SECONDS + ")");
        }
    }

    /**
     * Checks the options and how they go with the model's, before the model is loaded: on a
     * cluster, external simulators are started by each task ({@code --simulator} with {@code
     * --workers-per-slot}), never by the driver, and simulators started by hand cannot join.
     */
    void check(ModelOptions model) {
        this.model = model;
        if (replaying()) {
            return;
        }
        check();
        boolean external = model.simulator != null || model.attach != null || !model.ppx.isEmpty();
        if (backend.equals("local")) {
            if (model.workersPerSlot != null) {
                throw new UsageException("--workers-per-slot is for --backend flink (simulators each task starts); locally,"
                        + " give --workers N");
            }
            return;
        }
        if (!external) {
            if (model.workersPerSlot != null) {
                throw new UsageException("--workers-per-slot goes with --simulator \"CMD ARGS\" (the simulator each task starts)");
            }
            return;
        }
        if (model.attach != null || !model.ppx.isEmpty()) {
            throw new UsageException((model.attach != null ? "--attach" : "--ppx") + " with --backend " + backend + ": simulators"
                    + " started by hand cannot join the cluster's tasks; give --simulator \"CMD ARGS\" --workers-per-slot K"
                    + " (each task starts K copies), or run with the local backend");
        }
        if (model.workersGiven) {
            throw new UsageException("--workers is for the local backend: on a cluster each task starts --workers-per-slot K"
                    + " simulators (default 1); give that instead");
        }
        if (command.name().equals("calibrate")) {
            throw new UsageException("--simulator with --backend " + backend + ": probe calibrate draws its truths from the"
                    + " simulator on the driver, which starts none; run it with the local backend");
        }
        model.onCluster();
    }

    /**
     * The backend for this command's work: {@code threads} threads here, or the chosen backend,
     * told how to replay the command with {@code seed}.
     */
    Backend open(int threads, long seed, Integer requestedThreads) {
        Backend replaying = REPLAYING.get();
        if (replaying != null) {
            return replaying;
        }
        check();
        if (backend.equals("local")) {
            return Backend.threads(threads);
        }
        BackendProvider provider = BackendProvider.find(backend).orElseThrow(() -> new UsageException("--backend " + backend
                + ": the " + backend + " backend is not installed: run probe from a checkout where 'mvn package' built"
                + " flink/target/lib (the probe launcher adds it for --backend flink)"));
        Backend b;
        Replay replay = replay(seed);
        if (model != null) {
            model.hearWorkers(replay);
        }
        try {
            b = provider.open(flink, requestedThreads == null ? 0 : requestedThreads, replay,
                    java.time.Duration.ofSeconds(slotWait == null ? SLOT_WAIT_SECONDS : slotWait), this::warn);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        if (b instanceof AutoCloseable c) {
            opened = c;
        }
        return b;
    }

    /**
     * A backend's word on a fault mid-work, a line of its own. (No progress bar is drawn while a
     * cluster job runs: its results arrive when it ends.)
     */
    private void warn(String line) {
        java.io.PrintWriter err = command.commandLine().getErr();
        err.println("probe: warning: " + line);
        err.flush();
    }

    /** Closes the backend this command opened, if any. */
    void close() {
        if (opened != null) {
            try {
                opened.close();
            } catch (Exception e) {
                // The work is done; a backend that fails to shut down changes nothing of it.
            } finally {
                opened = null;
            }
        }
    }

    /** This command as a worker replays it: its arguments less outputs, with the seed fixed, and the files it reads. */
    private Replay replay(long seed) {
        List<String> original = command.commandLine().getParseResult().originalArgs();
        int at = original.indexOf(command.name());
        List<String> given = original.subList(at + 1, original.size());
        List<String> args = new ArrayList<>();
        args.add(command.name());
        Map<String, String> files = new LinkedHashMap<>();
        for (int i = 0; i < given.size(); i++) {
            String a = given.get(i);
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (NOT_REPLAYED.contains(name)) {
                if (!a.contains("=")) {
                    i++;
                }
                continue;
            }
            if (FLAGS_NOT_REPLAYED.contains(a)) {
                continue;
            }
            if (SHARED_PATHS.contains(name)) {
                String path = a.contains("=") ? a.substring(a.indexOf('=') + 1) : i + 1 < given.size() ? given.get(++i) : "";
                args.add(name + "=" + Path.of(path).toAbsolutePath().normalize());
                continue;
            }
            args.add(a);
        }
        // A network travels with the job unless it is on a path every worker sees.
        Map<String, Map<String, byte[]>> directories = new LinkedHashMap<>();
        String network = args.stream().filter(a -> a.startsWith("--network=")).findFirst().orElse(null);
        if (network == null && networkShared) {
            throw new UsageException("--network-shared goes with --network DIR: give the network, or drop --network-shared");
        }
        if (network != null && !networkShared) {
            String dir = network.substring("--network=".length());
            directories.put(dir, Replay.pack(Path.of(dir)));
        }
        // Scripts and observation files travel with the job: workers need not see this machine's files.
        for (String a : args.subList(1, args.size())) {
            String value = a.startsWith("--observations=") ? a.substring("--observations=".length()) : a;
            if (!value.startsWith("-") && (value.endsWith(".ppl") || value.endsWith(".json"))) {
                Path p = Path.of(value);
                if (Files.isRegularFile(p)) {
                    try {
                        files.put(value, Files.readString(p));
                    } catch (java.io.IOException e) {
                        throw new UsageException(value + ": cannot read it: " + e.getMessage());
                    }
                }
            }
        }
        args.add("--seed");
        args.add(Long.toString(seed));
        args.add("--quiet");
        // One token for every task of this command: its simulators present it to their task's bridge.
        return new Replay(args, files, directories, dev.probe.bridge.BridgeSecurity.newToken());
    }
}
