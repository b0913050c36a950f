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
import io.grpc.Server;
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
    public static final int PROTOCOL_VERSION = 1;

    private final Server server;
    private final LinkedBlockingQueue<SimulatorConnection> idle = new LinkedBlockingQueue<>();
    private final List<SimulatorConnection> all = new ArrayList<>();
    private final AtomicInteger attached = new AtomicInteger();
    private final List<String> rejections = new ArrayList<>();

    private BridgeServer(Server server) {
        this.server = server;
    }

    /** Starts a server on {@code host:port} (port 0 picks a free one). */
    public static BridgeServer start(String host, int port) throws IOException {
        BridgeServer[] self = new BridgeServer[1];
        // Messages go straight from the event loop into the connection's inbox: no executor hop per message.
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress(host, port)).directExecutor()
                .addService(new BridgeGrpc.BridgeImplBase() {
                    @Override
                    public StreamObserver<SimulatorMessage> attach(StreamObserver<RuntimeMessage> out) {
                        return self[0].handshake(out);
                    }
                })
                .build();
        self[0] = new BridgeServer(s);
        s.start();
        return self[0];
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
                conn = new SimulatorConnection(m.getHello().getSimulatorName(), m.getHello().getSimulatorVersion(), out);
                conn.send(RuntimeMessage.newBuilder().setWelcome(Welcome.newBuilder().setProtocolVersion(PROTOCOL_VERSION)
                        .setRuntimeVersion("probe 0.1")).build());
                synchronized (BridgeServer.this) {
                    all.add(conn);
                }
                attached.incrementAndGet();
                idle.add(conn);
            }

            @Override
            public void onError(Throwable t) {
                if (conn != null) {
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

    /** An idle simulator, waiting up to {@code timeoutMillis}. */
    SimulatorConnection take(long timeoutMillis) throws InterruptedException {
        while (true) {
            SimulatorConnection c = idle.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (c == null) {
                throw new SimulatorException("no simulator was free for " + timeoutMillis / 1000 + " s"
                        + (live() == 0 ? ": every simulator is gone" + rejectionNote() : ""));
            }
            if (!c.isClosed()) {
                return c;
            }
        }
    }

    /** Gives a connection back after a run. */
    void release(SimulatorConnection c) {
        if (!c.isClosed()) {
            idle.add(c);
        }
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
