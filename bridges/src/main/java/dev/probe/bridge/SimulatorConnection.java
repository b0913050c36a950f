package dev.probe.bridge;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.probe.bridge.v1.RuntimeMessage;
import dev.probe.bridge.v1.SimulatorMessage;
import io.grpc.stub.StreamObserver;

/**
 * One attached simulator: its stream, its name and version, and the messages it sent that no run
 * has read yet. gRPC delivers messages on its own threads; the run that owns the connection reads
 * them from the inbox, with a deadline.
 */
final class SimulatorConnection {

    /** Put into the inbox when the stream ends, so that a waiting run wakes up. */
    static final SimulatorMessage CLOSED = SimulatorMessage.newBuilder().build();

    final String name;
    final String version;
    private final StreamObserver<RuntimeMessage> out;
    private final LinkedBlockingQueue<SimulatorMessage> inbox = new LinkedBlockingQueue<>();
    private volatile boolean closed;
    private volatile String closedWhy = "";

    SimulatorConnection(String name, String version, StreamObserver<RuntimeMessage> out) {
        this.name = name;
        this.version = version;
        this.out = out;
    }

    void deliver(SimulatorMessage m) {
        inbox.add(m);
    }

    /** The next message, or null after {@code timeoutMillis}; {@link #CLOSED} once the stream is gone. */
    SimulatorMessage next(long timeoutMillis) throws InterruptedException {
        return inbox.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Sends a message; false if the stream is gone. */
    synchronized boolean send(RuntimeMessage m) {
        if (closed) {
            return false;
        }
        try {
            out.onNext(m);
            return true;
        } catch (RuntimeException e) {
            markClosed("sending failed: " + e.getMessage());
            return false;
        }
    }

    /** Ends the stream from this side. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            closedWhy = "closed by the runtime";
            try {
                out.onCompleted();
            } catch (RuntimeException ignored) {
                // The stream is already gone: nothing left to close.
            }
            inbox.add(CLOSED);
        }
    }

    /** Why the simulator broke the protocol in a way that ended its stream, or null. */
    private volatile String broken;

    /**
     * Marks the stream gone because the simulator broke the protocol: its run fails rather than
     * being retried. The reason is set before the stream is marked closed, so a run that finds
     * the stream closed (the inbox, or a send refused) always finds the reason too.
     */
    void markBroken(String why) {
        broken = why;
        markClosed(why);
    }

    String broken() {
        return broken;
    }

    void markClosed(String why) {
        if (!closed) {
            closedWhy = why;
        }
        closed = true;
        inbox.add(CLOSED);
    }

    boolean isClosed() {
        return closed;
    }

    String closedWhy() {
        return closedWhy;
    }

    @Override
    public String toString() {
        return name + (version.isEmpty() ? "" : " " + version);
    }
}
