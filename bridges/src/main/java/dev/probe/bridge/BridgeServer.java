package dev.probe.bridge;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.probe.bridge.v1.BridgeGrpc;
import dev.probe.bridge.v1.Error;
import dev.probe.bridge.v1.RuntimeMessage;
import dev.probe.bridge.v1.SimulatorMessage;
import dev.probe.bridge.v1.Welcome;
import dev.probe.runtime.SimulatorException;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;

/**
 * The runtime's side of the bridge: a gRPC server that simulators dial in to. Each simulator that
 * completes the handshake joins a pool of idle connections; a {@link SimulatorModel} takes one for
 * each run and gives it back after. A simulator that breaks the protocol is told why and dropped;
 * the server keeps serving the others.
 */
public final class BridgeServer implements AutoCloseable {

    /** The protocol version this runtime speaks. */
    public static final int PROTOCOL_VERSION = 2;

    /** The Hello capability of a simulator that can draw its own choices from a run's seed. */
    public static final String SELF_DRAW = "self-draw";

    /** The Hello capability of a simulator that queues StartRuns received mid-run and serves them in order. */
    public static final String RUNS_IN_FLIGHT_CAPABILITY = "runs-in-flight";

    /** The Hello capability of a simulator that reads and writes batches of messages (RuntimeBatch, SimulatorBatch). */
    public static final String BATCH = "batch";

    /**
     * The prefix of the Hello capability "concurrent-runs:N" of a simulator that serves up to N runs at
     * the same time, each on a thread of its own, their messages interleaved by run id: runs whose
     * choices the engine decides (rmh, smc, ic) then share its connection, up to N at once.
     */
    public static final String CONCURRENT_RUNS = "concurrent-runs:";

    /** The most runs one connection serves at the same time ({@link #CONCURRENT_RUNS}); a simulator offering more gets this many. */
    public static final int MAX_CONCURRENT_RUNS = 64;

    /** The capabilities this runtime uses when a simulator's Hello lists them; its Welcome names those it will use. */
    static final java.util.Set<String> KNOWN_CAPABILITIES = java.util.Set.of(SELF_DRAW, RUNS_IN_FLIGHT_CAPABILITY, BATCH);

    /** Runs one connection carries at once when its simulator has {@link #RUNS_IN_FLIGHT_CAPABILITY}. */
    public static final int RUNS_IN_FLIGHT = 64;

    private final LinkedBlockingQueue<SimulatorConnection> idle = new LinkedBlockingQueue<>();
    private final List<SimulatorConnection> all = new ArrayList<>();
    private final AtomicInteger attached = new AtomicInteger();
    private final List<String> rejections = new ArrayList<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final BridgeSecurity security;
    private Server server;

    private static final Metadata.Key<String> TOKEN = Metadata.Key.of(BridgeSecurity.TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER);

    private BridgeServer(BridgeSecurity security) {
        this.security = security;
    }

    /**
     * Starts a server on {@code host:port} (port 0 picks a free one) that admits only connections
     * presenting {@code security}'s token, over TLS when it has a certificate.
     *
     * @throws IllegalArgumentException when {@code host} is not loopback and there is no TLS
     */
    public static BridgeServer start(String host, int port, BridgeSecurity security) throws IOException {
        security.checkBind(host);
        BridgeServer self = new BridgeServer(security);
        ServerCredentials credentials;
        if (security.tls()) {
            try {
                credentials = TlsServerCredentials.create(security.tlsCert().toFile(), security.tlsKey().toFile());
            } catch (IOException | IllegalArgumentException e) {
                throw new IllegalArgumentException("cannot use the TLS certificate " + security.tlsCert() + " and key "
                        + security.tlsKey() + ": " + e.getMessage());
            }
        } else {
            credentials = io.grpc.InsecureServerCredentials.create();
        }
        BridgeGrpc.BridgeImplBase service = new BridgeGrpc.BridgeImplBase() {
            @Override
            public StreamObserver<SimulatorMessage> attach(StreamObserver<RuntimeMessage> out) {
                return self.handshake(out);
            }
        };
        // Messages go straight from the event loop into the connection's inbox: no executor hop per message.
        self.server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials).directExecutor()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .maxInboundMetadataSize(16 << 10)
                .maxConcurrentCallsPerConnection(4)
                .handshakeTimeout(10, TimeUnit.SECONDS)
                .addStreamTracerFactory(new ClosingStatus())
                .addService(ServerInterceptors.intercept(service, self.new TokenCheck()))
                .build();
        self.server.start();
        return self;
    }

    /**
     * The largest message either side may send: 64 MiB, so that detector images of a few MB pass
     * (gRPC's default of 4 MiB does not say so when it bites). A larger one ends its simulator's
     * stream at once, and the inference fails with a one-line protocol error.
     */
    public static final int MAX_MESSAGE_BYTES = 64 << 20;

    /**
     * gRPC's and Netty's loggers, kept (a logger nobody references may be collected with its
     * settings): a port that strangers can reach gets garbage, HTTP/1 requests and bad prefaces,
     * each of which they log with a stack trace. Those are dropped; a severe record is one line.
     */
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    static {
        GRPC_LOG.setUseParentHandlers(false);
        GRPC_LOG.addHandler(new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
                    String m = r.getMessage() + (r.getThrown() == null ? "" : ": " + r.getThrown());
                    System.err.println("probe: bridge: " + m.replace('\n', ' '));
                }
            }

            @Override
            public void flush() {
                System.err.flush();
            }

            @Override
            public void close() {
            }
        });
    }

    private static final io.grpc.Context.Key<StreamEnd> CLOSED_WITH = io.grpc.Context.key("probe-closing-status");

    /**
     * How one stream ended, as its tracer learns it, and the connection it carries. gRPC tells the
     * handler of an oversized message only that the call was cancelled; the tracer gets the status
     * (RESOURCE_EXHAUSTED) first, on the transport thread, before the call is cancelled
     * (AbstractServerStream.TransportState.closeListener), so the connection is marked broken
     * before a send to it is refused or its inbox says it is closed. Whichever of the two learns
     * second marks it, should that order ever change.
     */
    private static final class StreamEnd {
        private Status status;
        private SimulatorConnection conn;

        synchronized void closed(Status s) {
            status = s;
            markIfOversized();
        }

        synchronized void attached(SimulatorConnection c) {
            conn = c;
        }

        /** Called by the handler when the stream failed: true if it was an oversized message. */
        synchronized boolean failed() {
            return markIfOversized();
        }

        private boolean markIfOversized() {
            if (conn != null && status != null && status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                conn.markBroken("it sent a message over the bridge's limit of " + (MAX_MESSAGE_BYTES >> 20) + " MiB ("
                        + status.getDescription() + ")");
                return true;
            }
            return false;
        }
    }

    /**
     * Keeps the status each stream ends with where its handler finds it: gRPC tells the handler of
     * an oversized message only that the call was cancelled.
     */
    private static final class ClosingStatus extends io.grpc.ServerStreamTracer.Factory {
        @Override
        public io.grpc.ServerStreamTracer newServerStreamTracer(String method, Metadata headers) {
            StreamEnd closed = new StreamEnd();
            return new io.grpc.ServerStreamTracer() {
                @Override
                public io.grpc.Context filterContext(io.grpc.Context context) {
                    return context.withValue(CLOSED_WITH, closed);
                }

                @Override
                public void streamClosed(Status status) {
                    closed.closed(status);
                }
            };
        }
    }

    /** Turns away a call without the inference's token before any of its messages is read. */
    private final class TokenCheck implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String presented = headers.get(TOKEN);
            if (security.accepts(presented)) {
                return next.startCall(call, headers);
            }
            int count = refused.incrementAndGet();
            String why = (presented == null ? "no bridge token" : "a wrong bridge token") + " from "
                    + call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            synchronized (BridgeServer.this) {
                rejections.add("a connection with " + why);
            }
            if (count <= 10) {
                onRefusal.accept("refused a connection with " + why + (count == 10 ? " (further refusals are only counted)" : ""));
            }
            call.close(Status.UNAUTHENTICATED.withDescription("this Probe inference refused " + why + ": start the simulator"
                    + " with " + BridgeSecurity.TOKEN_ENV + " set to the token probe printed or read from --token-file"
                    + " (simulators probe starts get it themselves)"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
    }

    private volatile java.util.function.Consumer<String> onRefusal = m -> { };

    /** Told (in one line) of each of the first ten connections refused for their token. */
    public void onRefusal(java.util.function.Consumer<String> listener) {
        onRefusal = listener;
    }

    /** The security connections are checked against. */
    public BridgeSecurity security() {
        return security;
    }

    /** Connections turned away for a missing or wrong token. */
    public int refusedCount() {
        return refused.get();
    }

    /** The port the server listens on. */
    public int port() {
        return server.getPort();
    }

    /** Simulators that completed the handshake so far (including those gone since). */
    public int attachedCount() {
        return attached.get();
    }

    /** Why simulators were turned away, most recent last. */
    public synchronized List<String> rejections() {
        return new ArrayList<>(rejections);
    }

    private StreamObserver<SimulatorMessage> handshake(StreamObserver<RuntimeMessage> out) {
        StreamEnd closedWith = CLOSED_WITH.get();
        return new StreamObserver<>() {
            private SimulatorConnection conn;

            @Override
            public void onNext(SimulatorMessage m) {
                if (conn != null) {
                    conn.deliver(m);
                    return;
                }
                if (!m.hasHello()) {
                    reject(out, Error.Code.PROTOCOL, "the first message must be Hello, got " + m.getKindCase());
                    return;
                }
                int version = m.getHello().getProtocolVersion();
                if (version != PROTOCOL_VERSION) {
                    reject(out, Error.Code.VERSION, "simulator " + m.getHello().getSimulatorName() + " speaks bridge protocol version "
                            + version + "; this runtime speaks version " + PROTOCOL_VERSION + ": rebuild it against this Probe's client library");
                    return;
                }
                List<String> capabilities = m.getHello().getCapabilitiesList();
                int concurrent;
                try {
                    concurrent = concurrentRuns(capabilities);
                } catch (IllegalArgumentException e) {
                    reject(out, Error.Code.PROTOCOL, "simulator " + m.getHello().getSimulatorName() + ": " + e.getMessage());
                    return;
                }
                conn = new SimulatorConnection(m.getHello().getSimulatorName(), m.getHello().getSimulatorVersion(),
                        capabilities.contains(SELF_DRAW), capabilities.contains(RUNS_IN_FLIGHT_CAPABILITY) ? RUNS_IN_FLIGHT : 1,
                        concurrent, capabilities.contains(BATCH), out);
                if (closedWith != null) {
                    closedWith.attached(conn);
                }
                Welcome.Builder welcome = Welcome.newBuilder().setProtocolVersion(PROTOCOL_VERSION).setRuntimeVersion("probe 0.1");
                for (String c : capabilities) {
                    if (KNOWN_CAPABILITIES.contains(c)) {
                        welcome.addCapabilities(c);
                    }
                }
                if (concurrent > 1) {
                    welcome.addCapabilities(CONCURRENT_RUNS + concurrent);
                }
                conn.send(RuntimeMessage.newBuilder().setWelcome(welcome).build());
                synchronized (BridgeServer.this) {
                    all.add(conn);
                }
                attached.incrementAndGet();
                idle.add(conn);
            }

            @Override
            public void onError(Throwable t) {
                if (conn == null) {
                    return;
                }
                if (closedWith == null || !closedWith.failed()) {
                    conn.markClosed("its stream failed: " + t.getMessage());
                }
            }

            @Override
            public void onCompleted() {
                if (conn != null) {
                    conn.markClosed("it closed its stream");
                    try {
                        out.onCompleted();
                    } catch (RuntimeException ignored) {
                        // Already closed from our side.
                    }
                }
            }
        };
    }

    /**
     * The runs a simulator serves at once by its Hello's capabilities: N of "concurrent-runs:N", at
     * most {@link #MAX_CONCURRENT_RUNS}; 1 without it.
     *
     * @throws IllegalArgumentException when N is not a positive whole number
     */
    static int concurrentRuns(List<String> capabilities) {
        int n = 1;
        for (String c : capabilities) {
            if (c.startsWith(CONCURRENT_RUNS)) {
                String count = c.substring(CONCURRENT_RUNS.length());
                try {
                    n = Integer.parseInt(count);
                } catch (NumberFormatException e) {
                    n = 0;
                }
                if (n < 1 || !count.chars().allMatch(Character::isDigit)) {
                    throw new IllegalArgumentException("the capability \"" + c + "\" needs a positive whole number of runs,"
                            + " such as \"" + CONCURRENT_RUNS + "4\"");
                }
            }
        }
        return Math.min(n, MAX_CONCURRENT_RUNS);
    }

    private void reject(StreamObserver<RuntimeMessage> out, Error.Code code, String message) {
        synchronized (this) {
            rejections.add(message);
        }
        try {
            out.onNext(RuntimeMessage.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message)).build());
            out.onCompleted();
        } catch (RuntimeException ignored) {
            // The simulator went away first.
        }
    }

    /** Waits until {@code n} simulators have attached, or throws after {@code timeoutMillis}. */
    public void awaitAttached(int n, long timeoutMillis, java.util.function.BooleanSupplier giveUp) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (attached.get() < n) {
            if (System.nanoTime() > end) {
                throw new SimulatorException("only " + attached.get() + " of " + n + " simulators attached within "
                        + timeoutMillis / 1000 + " s" + rejectionNote());
            }
            if (giveUp.getAsBoolean()) {
                throw new SimulatorException("a simulator exited before attaching" + rejectionNote());
            }
            Thread.sleep(10);
        }
    }

    private String rejectionNote() {
        List<String> r = rejections();
        return r.isEmpty() ? "" : "; the last one was turned away: " + r.get(r.size() - 1);
    }

    /**
     * The names and versions of the simulators attached so far ("name version", sorted, distinct,
     * joined by " + "): what a trained network for them is tied to.
     */
    public synchronized String simulators() {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (SimulatorConnection c : all) {
            names.add(c.toString());
        }
        return String.join(" + ", names);
    }

    /**
     * A simulator for a run: a free slot of a connection already carrying runs of the same kind
     * when there is one, else one of its own. Self-drawn runs ({@code selfDrawn}) never wait on
     * each other, so up to {@link SimulatorConnection#capacity} of them share a connection even when
     * its simulator serves them one after another; runs whose choices the engine decides may be
     * batched across runs (inference compilation) and must never queue behind each other, so they
     * share only a connection whose simulator serves several at the same time ("concurrent-runs:N").
     */
    SimulatorConnection take(long timeoutMillis, boolean selfDrawn) throws InterruptedException {
        // A slot of a shared connection frees up without the connection ever going idle (another
        // thread keeps it busy): look at both, in short waits, until the deadline.
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            SimulatorConnection c = tryTake(selfDrawn);
            if (c != null) {
                return c;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new SimulatorException("no simulator was free for " + timeoutMillis / 1000 + " s"
                        + (live() == 0 ? ": every simulator is gone" + rejectionNote() : ""));
            }
            c = idle.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(5)), TimeUnit.NANOSECONDS);
            if (c != null && !c.isClosed()) {
                occupy(c, selfDrawn);
                return c;
            }
        }
    }

    /**
     * A simulator for a run, as {@link #take(long, boolean)}, or null at once when none is free:
     * for a caller that holds runs in progress and must not wait on them.
     */
    SimulatorConnection tryTake(boolean selfDrawn) {
        synchronized (this) {
            java.util.ArrayDeque<SimulatorConnection> free = shared(selfDrawn);
            for (SimulatorConnection c; (c = free.poll()) != null;) {
                if (!c.isClosed()) {
                    peak = Math.max(peak, ++c.inFlight);
                    return c;
                }
            }
        }
        for (SimulatorConnection c; (c = idle.poll()) != null;) {
            if (!c.isClosed()) {
                occupy(c, selfDrawn);
                return c;
            }
        }
        return null;
    }

    /** Marks a connection just taken from the idle ones as carrying one run, and offers its other slots to runs of the same kind. */
    private synchronized void occupy(SimulatorConnection c, boolean selfDrawn) {
        c.inFlight = 1;
        peak = Math.max(peak, 1);
        c.sharedSelfDrawn = selfDrawn;
        for (int slot = 1; slot < c.capacity(selfDrawn); slot++) {
            shared(selfDrawn).add(c);
        }
    }

    /** Free slots of connections carrying self-drawn runs, or other runs: one entry per slot. */
    private final java.util.ArrayDeque<SimulatorConnection> sharedSelfDrawn = new java.util.ArrayDeque<>();
    private final java.util.ArrayDeque<SimulatorConnection> sharedDecided = new java.util.ArrayDeque<>();

    private java.util.ArrayDeque<SimulatorConnection> shared(boolean selfDrawn) {
        return selfDrawn ? sharedSelfDrawn : sharedDecided;
    }

    /** Gives a connection's slot back after a run; the connection is free for any run once its last run is over. */
    void release(SimulatorConnection c) {
        synchronized (this) {
            if (--c.inFlight > 0) {
                shared(c.sharedSelfDrawn).add(c);
                return;
            }
            shared(c.sharedSelfDrawn).removeIf(x -> x == c);
        }
        if (!c.isClosed()) {
            idle.add(c);
        }
    }

    /** The most runs one connection has carried at once so far. Guarded by this. */
    private int peak;

    /** The most runs one simulator's connection has carried at once so far (0 before the first run). */
    public synchronized int peakRunsPerSimulator() {
        return peak;
    }

    /**
     * Runs whose choices the engine decides that the simulators still connected can serve at once:
     * one per simulator, N for one that serves "concurrent-runs:N".
     */
    public synchronized int concurrentRuns() {
        int n = 0;
        for (SimulatorConnection c : all) {
            if (!c.isClosed()) {
                n += c.concurrent;
            }
        }
        return n;
    }

    /** Simulators still connected. */
    public synchronized int live() {
        int n = 0;
        for (SimulatorConnection c : all) {
            if (!c.isClosed()) {
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() {
        List<SimulatorConnection> conns;
        synchronized (this) {
            conns = new ArrayList<>(all);
        }
        conns.forEach(SimulatorConnection::close);
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
