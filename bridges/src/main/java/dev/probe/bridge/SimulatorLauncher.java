package dev.probe.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.probe.runtime.SimulatorException;

/**
 * Starts copies of a simulator command that attach to a fresh {@link BridgeServer} on loopback,
 * and stops them when closed. Each copy finds the server through the environment variable
 * {@code PROBE_ADDRESS}; its standard output and error go to this process's standard error, so
 * that they never mix with machine-readable output.
 */
public final class SimulatorLauncher implements AutoCloseable {

    /** How long copies may take to start and attach. */
    public static final long ATTACH_TIMEOUT_MILLIS = 60_000;

    private final BridgeServer server;
    private final List<Process> processes = new ArrayList<>();
    private final String command;
    /** Ends the copies' process groups if the JVM exits first (Ctrl-C, an uncaught error). */
    private final Thread onExit = new Thread(this::endGroups, "probe-simulator-cleanup");

    private SimulatorLauncher(BridgeServer server, String command) {
        this.server = server;
        this.command = command;
    }

    /** setsid, which starts each copy in a process group of its own, or null where there is none. */
    private static final String SETSID = java.util.stream.Stream.of("/usr/bin/setsid", "/bin/setsid")
            .filter(p -> new java.io.File(p).canExecute()).findFirst().orElse(null);

    /**
     * Starts {@code workers} copies of {@code command} (run by {@code sh -c}) and waits until all
     * have attached.
     *
     * @throws SimulatorException when a copy exits first or they do not attach in time
     */
    public static SimulatorLauncher start(String command, int workers) throws IOException, InterruptedException {
        return start(command, workers, ATTACH_TIMEOUT_MILLIS);
    }

    /** As {@link #start(String, int)}, waiting {@code attachTimeoutMillis} for the copies to attach. */
    public static SimulatorLauncher start(String command, int workers, long attachTimeoutMillis) throws IOException,
            InterruptedException {
        return start(command, workers, BridgeSecurity.loopback(), attachTimeoutMillis);
    }

    /**
     * As {@link #start(String, int, long)}, the server (on loopback) admitting only {@code security}'s
     * token, which the copies get in {@value BridgeSecurity#TOKEN_ENV}: a cluster's task uses the
     * token its job was given.
     */
    public static SimulatorLauncher start(String command, int workers, BridgeSecurity security, long attachTimeoutMillis)
            throws IOException, InterruptedException {
        BridgeServer server = BridgeServer.start("127.0.0.1", 0, security);
        SimulatorLauncher l = new SimulatorLauncher(server, command);
        Runtime.getRuntime().addShutdownHook(l.onExit);
        try {
            for (int i = 0; i < workers; i++) {
                // In a process group of its own (its pid is the group's id), so that whatever the
                // command starts can be ended with it, and Ctrl-C at a terminal reaches Probe alone.
                ProcessBuilder pb = SETSID != null ? new ProcessBuilder(SETSID, "sh", "-c", command)
                        : new ProcessBuilder("sh", "-c", command);
                pb.environment().put("PROBE_ADDRESS", "127.0.0.1:" + server.port());
                pb.environment().put(BridgeSecurity.TOKEN_ENV, server.security().token());
                // The client libraries end a copy when this process is gone (docs/bridge.md), even
                // killed with SIGKILL, when no hook of ours can run.
                pb.environment().put("PROBE_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                pb.redirectErrorStream(true);
                Process p = pb.start();
                l.processes.add(p);
                pump(p.getInputStream(), System.err);
            }
            server.awaitAttached(workers, attachTimeoutMillis, () -> l.processes.stream().anyMatch(p -> !p.isAlive()));
        } catch (SimulatorException e) {
            String exits = l.exitCodes();
            l.close();
            throw new SimulatorException("the simulator '" + command + "' did not attach: " + e.getMessage() + exits);
        } catch (IOException | InterruptedException | RuntimeException e) {
            l.close();
            throw e;
        }
        return l;
    }

    private String exitCodes() {
        StringBuilder sb = new StringBuilder();
        for (Process p : processes) {
            if (!p.isAlive()) {
                sb.append(sb.length() == 0 ? " (exit codes: " : ", ").append(p.exitValue());
            }
        }
        return sb.length() == 0 ? "" : sb.append(')').toString();
    }

    private static void pump(InputStream in, OutputStream out) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0;) {
                    synchronized (out) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException ignored) {
                // The simulator is gone; nothing more to copy.
            }
        }, "probe-simulator-output");
        t.setDaemon(true);
        t.start();
    }

    /** The server the copies attached to. */
    public BridgeServer server() {
        return server;
    }

    /** The simulators as a model, with a deadline per message. */
    public SimulatorModel model(long deadlineMillis) {
        return model(deadlineMillis, false);
    }

    /** The simulators as a model; {@code selfDraw}: see {@link SimulatorModel#SimulatorModel(BridgeServer, long, String, boolean)}. */
    public SimulatorModel model(long deadlineMillis, boolean selfDraw) {
        return new SimulatorModel(server, deadlineMillis, "simulator:" + command, selfDraw);
    }

    /** Processes started, for tests that stop one. */
    public List<Process> processes() {
        return processes;
    }

    /**
     * Stops the copies. Even on an interrupted thread (a cluster's task being cancelled): the
     * interrupt is set aside until they are ended, or a kill(1) waited for would fail at once
     * and leave them running.
     */
    @Override
    public void close() {
        boolean interrupted = Thread.interrupted();
        try {
            server.close();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (Process p : processes) {
                // Told by the closed stream, a simulator ends by itself; give it a moment.
                p.waitFor(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            Thread.interrupted();
            endGroups();
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException e) {
                // The JVM is exiting: the hook runs anyway, and ends nothing twice.
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Ends every copy and everything it started: SIGTERM to each process group, then SIGKILL to
     * what is left after two seconds. Without setsid, the copies and their descendants one by one.
     */
    private void endGroups() {
        if (SETSID == null) {
            for (Process p : processes) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            return;
        }
        List<Long> live = new ArrayList<>();
        for (Process p : processes) {
            if (signalGroup(p.pid(), "-0")) {
                signalGroup(p.pid(), "-TERM");
                live.add(p.pid());
            }
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!live.isEmpty() && System.nanoTime() < end) {
            live.removeIf(g -> !signalGroup(g, "-0"));
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (long g : live) {
            signalGroup(g, "-KILL");
        }
    }

    /** Sends {@code signal} to process group {@code group} with kill(1); whether some process got it. */
    private static boolean signalGroup(long group, String signal) {
        try {
            Process k = new ProcessBuilder("kill", signal, "--", "-" + group).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return k.waitFor(5, TimeUnit.SECONDS) && k.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
