package dev.probe.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import dev.probe.bridge.BridgeSecurity;
import dev.probe.bridge.BridgeServer;
import dev.probe.bridge.SimulatorLauncher;
import dev.probe.bridge.SimulatorModel;
import dev.probe.bridge.ppx.PpxModel;
import dev.probe.language.ScriptSource;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelSource;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The model argument and the options that shape it: parameters and observations. */
final class ModelOptions {

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "FILE.ppl (a model script) or builtin:NAME (probe list shows them)")
    String model;

    @Option(names = "--param", paramLabel = "NAME=VALUE", description = "Overrides a model parameter (repeatable).")
    List<String> params = new ArrayList<>();

    @Option(names = "--observe", paramLabel = "NAME=VALUE",
            description = "Conditions on an observation: a number, true/false or a JSON array (repeatable).")
    List<String> observe = new ArrayList<>();

    @Option(names = "--observations", paramLabel = "FILE", description = "A JSON object of observation values.")
    Path observationsFile;

    @Option(names = "--simulator", paramLabel = "\"CMD ARGS\"",
            description = "An external simulator: the command is started --workers times and attaches over gRPC.")
    String simulator;

    @Option(names = "--attach", paramLabel = "HOST:PORT",
            description = "Serve on HOST:PORT and wait for --workers simulators started by hand (PROBE_ADDRESS=HOST:PORT).")
    String attach;

    /** Copies of --simulator to start, or simulators to wait for with --attach (on a cluster's worker: per task). */
    int workers = 1;
    /** Whether --workers was given. */
    boolean workersGiven;

    @Option(names = "--workers", paramLabel = "N",
            description = "Copies of --simulator to start, or simulators to wait for with --attach. Default: 1.")
    void workers(int n) {
        workers = n;
        workersGiven = true;
    }

    @Option(names = "--workers-per-slot", paramLabel = "K",
            description = "--backend flink with --simulator: copies of the simulator each task starts (one thread each)."
                    + " Default: 1.")
    Integer workersPerSlot;

    /** On a cluster's driver: the simulators run in the workers' tasks; this stands for them ({@link #onCluster()}). */
    private ClusterSimulators cluster;

    @Option(names = "--deadline", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long a simulator may go silent mid-run before its run is retried elsewhere. Default: 30.")
    double deadline;

    @Option(names = "--self-draw",
            description = "Where the engine decides no choice (prior, is without a network, training data), let simulators"
                    + " that can draw their own choices from each run's seed do so: one round trip per run; values differ"
                    + " from a Java twin's (docs/bridge.md).")
    boolean selfDraw;

    /** The most simulators one command starts or waits for: each is a process and a thread. */
    static final int MAX_WORKERS = 256;
    @Option(names = "--ppx", paramLabel = "ADDRESS",
            description = "A simulator speaking pyprob's PPX protocol, listening at ADDRESS (e.g. tcp://127.0.0.1:5555); repeat for"
                    + " several, one engine thread each.")
    List<String> ppx = new ArrayList<>();

    @Option(names = "--protocol", paramLabel = "probe|ppx", defaultValue = "probe",
            description = "What --simulator speaks: probe (the gRPC bridge, default) or ppx (pyprob's PPX: each copy gets the"
                    + " address to bind as its last argument).")
    String protocol = "probe";

    /** The PPX simulators, with --ppx or --simulator --protocol ppx. */
    private PpxModel ppxModel;

    /** The running simulators, when --simulator was given; closed by {@link #close()}. */
    private SimulatorLauncher launcher;
    /** The server simulators attach to by hand, with --attach, and where to report on it. */
    private BridgeServer attached;
    private java.io.PrintWriter attachErr;

    @Option(names = "--max-steps", paramLabel = "N", description = "Scripts: statements one run may execute (default: 10,000,000).")
    Long maxSteps;

    @Option(names = "--max-depth", paramLabel = "N", description = "Scripts: how deeply calls may nest (default: 1,000).")
    Integer maxDepth;

    /** What reports call the model. */
    String label() {
        if (attach != null) {
            return "attached:" + attach;
        }
        if (!ppx.isEmpty()) {
            return "ppx:" + String.join(",", ppx);
        }
        return simulator != null ? "simulator:" + simulator : model;
    }

    /**
     * Threads to run: for external simulators, one per run they serve at once once attached (one per
     * simulator, N for one that serves "concurrent-runs:N"), else one per simulator.
     */
    int threads(int requested) {
        if (!ppx.isEmpty()) {
            return ppx.size();
        }
        if (simulator == null && attach == null) {
            return requested;
        }
        BridgeServer server = launcher != null ? launcher.server() : attached;
        return server == null ? workers : Math.max(workers, server.concurrentRuns());
    }

    /**
     * The command's work runs on a cluster: the driver starts no simulator (each task starts its
     * own, {@code --workers-per-slot} of them) and its model stands for theirs.
     */
    void onCluster() {
        cluster = new ClusterSimulators("simulator:" + simulator);
    }

    /** On a cluster's driver: the model hears, through the replay, the identity of the workers' simulators. */
    void hearWorkers(Replay replay) {
        if (cluster != null) {
            replay.onModelIdentity(cluster::heard);
        }
    }

    /** Stops the simulators and servers this command started. */
    void close() {
        if (attached != null && attached.refusedCount() > 0) {
            attachErr.println("probe: refused " + attached.refusedCount() + " connection" + (attached.refusedCount() == 1 ? "" : "s")
                    + " without this inference's token");
        }
        if (ppxModel != null) {
            ppxModel.close();
            ppxModel = null;
        }
        if (launcher != null) {
            launcher.close();
            launcher = null;
        }
        if (attached != null) {
            attached.close();
            attached = null;
        }
    }

    private Model attach(java.io.PrintWriter err) {
        int colon = attach.lastIndexOf(':');
        int port;
        try {
            port = Integer.parseInt(attach.substring(colon + 1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new UsageException("--attach " + attach + ": expected HOST:PORT, e.g. --attach 127.0.0.1:50051");
        }
        if (colon <= 0 || port < 0 || port > 65535) {
            throw new UsageException("--attach " + attach + ": expected HOST:PORT, e.g. --attach 127.0.0.1:50051");
        }
        BridgeSecurity security = security();
        try {
            attached = BridgeServer.start(attach.substring(0, colon), port, security);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--attach " + attach + ": " + e.getMessage());
        } catch (java.io.IOException e) {
            throw new UsageException("--attach " + attach + ": cannot listen there: " + e.getMessage());
        }
        attachErr = err;
        attached.onRefusal(m -> {
            err.println("probe: " + m);
            err.flush();
        });
        String address = attach.substring(0, colon) + ":" + attached.port();
        err.println("probe: waiting for " + workers + " simulator" + (workers == 1 ? "" : "s") + " to attach at "
                + address + " (start each with PROBE_ADDRESS=" + address + " " + BridgeSecurity.TOKEN_ENV + "="
                + (tokenFile != null ? "\"$(cat " + tokenFile + ")\"" : security.token())
                + (security.tls() ? " " + BridgeSecurity.TLS_CA_ENV + "=CA.pem" : "") + ")");
        err.flush();
        try {
            attached.awaitAttached(workers, (long) (attachTimeout * 1000), () -> false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UsageException("interrupted while waiting for simulators");
        }
        return new SimulatorModel(attached, (long) (deadline * 1000), label(), selfDraw);
    }

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "With --attach: the secret simulators must present, read from FILE (default: a fresh one, printed).")
    Path tokenFile;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "With --attach: the server's TLS certificate chain (PEM); needed to serve beyond loopback.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "With --attach: the private key (PEM, PKCS#8) of --tls-cert.")
    Path tlsKey;

    /** The token (from --token-file, or fresh) and the TLS files for --attach. */
    private BridgeSecurity security() {
        String token = BridgeSecurity.newToken();
        if (tokenFile != null) {
            try {
                token = java.nio.file.Files.readString(tokenFile, java.nio.charset.StandardCharsets.UTF_8).strip();
            } catch (java.nio.file.NoSuchFileException e) {
                throw new UsageException("--token-file " + tokenFile + ": no such file");
            } catch (java.io.IOException e) {
                throw new UsageException("--token-file " + tokenFile + ": cannot read it: " + e.getMessage());
            }
            if (token.length() < 16) {
                throw new UsageException("--token-file " + tokenFile + ": the token must be at least 16 characters (make one with"
                        + " 'head -c 32 /dev/urandom | od -An -tx1 | tr -d \" \\n'), got " + token.length());
            }
            if (!token.chars().allMatch(c -> c > 32 && c < 127)) {
                throw new UsageException("--token-file " + tokenFile + ": the token must be printable ASCII without spaces");
            }
        }
        for (Path p : new Path[] {tlsCert, tlsKey}) {
            if (p != null && !java.nio.file.Files.isReadable(p)) {
                throw new UsageException((p == tlsCert ? "--tls-cert " : "--tls-key ") + p + ": no such readable file");
            }
        }
        try {
            return new BridgeSecurity(token, tlsCert, tlsKey);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** Refuses a --workers count that is not positive or over {@link #MAX_WORKERS}. */
    private void checkWorkers() {
        checkWorkers("--workers");
    }

    private void checkWorkers(String option) {
        if (workers <= 0) {
            throw new UsageException(option + " must be positive, got " + workers);
        }
        if (workers > MAX_WORKERS) {
            throw new UsageException(option + " must be at most " + MAX_WORKERS + " (each is a process and a thread), got "
                    + workers);
        }
    }

    /** PPX simulators: those listening at the --ppx addresses, or --workers copies of --simulator started here. */
    private Model ppx(java.io.PrintWriter err) {
        if (!(deadline > 0)) {
            throw new UsageException("--deadline must be positive, got " + deadline);
        }
        long deadlineMillis = (long) (deadline * 1000);
        try {
            if (simulator != null) {
                checkWorkers();
                ppxModel = PpxModel.launch(simulator, workers, deadlineMillis, SimulatorLauncher.ATTACH_TIMEOUT_MILLIS);
                Replay.simulatorsStarted(ppxModel, workers);
            } else {
                err.println("probe: connecting to the PPX simulator" + (ppx.size() == 1 ? "" : "s") + " at " + String.join(", ", ppx));
                err.flush();
                ppxModel = PpxModel.connect(ppx, deadlineMillis, (long) (attachTimeout * 1000));
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException("--ppx: " + e.getMessage());
        } catch (java.io.IOException e) {
            throw new UsageException("--simulator: cannot start '" + simulator + "': " + e.getMessage());
        }
        return ppxModel;
    }

    @Option(names = "--attach-timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "With --attach or --ppx: how long to wait for the simulators. Default: 600.")
    double attachTimeout;

    /** The model, loaded through the first source that accepts the spec, or the started simulators. */
    Model load(java.io.PrintWriter err) {
        if ((simulator != null ? 1 : 0) + (attach != null ? 1 : 0) + (model != null ? 1 : 0) + (ppx.isEmpty() ? 0 : 1) > 1) {
            throw new UsageException("give one of MODEL, --simulator and --attach, or --ppx");
        }
        if (!protocol.equals("probe") && !protocol.equals("ppx")) {
            throw new UsageException("--protocol " + protocol + ": expected probe or ppx");
        }
        if (protocol.equals("ppx") && simulator == null) {
            throw new UsageException("--protocol ppx goes with --simulator \"CMD ARGS\" (for a PPX simulator already running: --ppx ADDRESS)");
        }
        if (BackendOptions.replaying() && simulator != null) {
            // A cluster's worker: this task's own simulators.
            workers = workersPerSlot == null ? 1 : workersPerSlot;
        }
        if ((!ppx.isEmpty() || protocol.equals("ppx")) && cluster == null) {
            return ppx(err);
        }
        if (attach == null && (tokenFile != null || tlsCert != null || tlsKey != null)) {
            throw new UsageException("--token-file, --tls-cert and --tls-key are for --attach");
        }
        if (attach != null || simulator != null) {
            checkWorkers();
            if (!(deadline > 0 && deadline <= 86_400)) {
                throw new UsageException("--deadline must be positive (seconds, at most a day), got " + deadline);
            }
            if (!(attachTimeout > 0 && attachTimeout <= 86_400)) {
                throw new UsageException("--attach-timeout must be positive (seconds, at most a day), got " + attachTimeout);
            }
        }
        if (cluster != null) {
            if (workersPerSlot != null) {
                workers = workersPerSlot;
                checkWorkers("--workers-per-slot");
            }
            return cluster;
        }
        if (attach != null) {
            return attach(err);
        }
        if (simulator != null) {
            try {
                String token = Replay.bridgeToken();
                // A cluster's worker: its task's bridge admits the token the job was given.
                launcher = token == null ? SimulatorLauncher.start(simulator, workers)
                        : SimulatorLauncher.start(simulator, workers, new BridgeSecurity(token, null, null),
                                SimulatorLauncher.ATTACH_TIMEOUT_MILLIS);
                if (token != null) {
                    Replay.simulatorsStarted(launcher.model((long) (deadline * 1000), selfDraw), workers);
                }
            } catch (java.io.IOException e) {
                throw new UsageException("--simulator: cannot start '" + simulator + "': " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UsageException("interrupted while starting the simulators");
            }
            return launcher.model((long) (deadline * 1000), selfDraw);
        }
        if (model == null) {
            throw new UsageException("give a MODEL (FILE.ppl or builtin:NAME), --simulator \"CMD ARGS\" or --attach HOST:PORT"
                    + " (or --ppx ADDRESS for a PPX simulator)");
        }
        Map<String, Object> parameters = pairs(params, "--param");
        if (maxSteps != null) {
            if (maxSteps <= 0) {
                throw new UsageException("--max-steps must be positive, got " + maxSteps);
            }
            parameters.put(ScriptSource.MAX_STEPS, maxSteps);
        }
        if (maxDepth != null) {
            if (maxDepth <= 0) {
                throw new UsageException("--max-depth must be positive, got " + maxDepth);
            }
            parameters.put(ScriptSource.MAX_DEPTH, maxDepth);
        }
        List<ModelSource> sources = new ArrayList<>();
        ServiceLoader.load(ModelSource.class).forEach(sources::add);
        for (ModelSource s : sources) {
            if (s.accepts(model)) {
                try {
                    return s.load(model, parameters);
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage(), e);
                }
            }
        }
        StringBuilder known = new StringBuilder();
        for (ModelSource s : sources) {
            known.append("\n  ").append(s.describe());
        }
        throw new UsageException("cannot tell what kind of model '" + model + "' is; MODEL may be:" + known);
    }

    /** The observations: the file's first, then each --observe on top. */
    Map<String, Object> observations() {
        Map<String, Object> out = new LinkedHashMap<>();
        if (observationsFile != null) {
            out.putAll(Json.readObject(observationsFile, "--observations"));
        }
        out.putAll(pairs(observe, "--observe"));
        return out;
    }

    private static Map<String, Object> pairs(List<String> items, String option) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new UsageException(option + " " + item + ": expected NAME=VALUE, e.g. " + option + " obs0=8");
            }
            String name = item.substring(0, eq).trim();
            if (name.isEmpty()) {
                throw new UsageException(option + " '" + item + "': the name before '=' is empty; expected NAME=VALUE, e.g. "
                        + option + " obs0=8");
            }
            if (out.put(name, Json.parseValue(item.substring(eq + 1), option + " " + name)) != null) {
                throw new UsageException(option + " " + name + " is given twice; give each name once (an array gives a value"
                        + " per occurrence)");
            }
        }
        return out;
    }
}
