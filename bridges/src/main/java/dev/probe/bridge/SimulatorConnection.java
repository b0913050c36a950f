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

    /** Whether the simulator can draw its own choices from a run's seed (capability "self-draw"). */
    final boolean selfDraw;
    /**
     * How many runs the connection may carry at once: 1, or {@link BridgeServer#RUNS_IN_FLIGHT}
     * for a simulator that queues the StartRuns it receives mid-run (capability "runs-in-flight")
     * and serves them in order. With more than one, each run reads its own messages, by run id.
     */
    final int slots;
    /**
     * How many runs the simulator serves at the same time, each on a thread of its own (capability
     * "concurrent-runs:N"): 1 for a simulator that serves one run at a time. Runs whose choices the
     * engine decides share a connection only up to this many.
     */
    final int concurrent;
    /** Runs in progress on this connection; guarded by the server that hands it out. */
    int inFlight;
    /** Whether the runs in progress were taken as self-drawn ones; guarded by the server that hands it out. */
    boolean sharedSelfDrawn;
    private final java.util.concurrent.ConcurrentHashMap<Long, LinkedBlockingQueue<SimulatorMessage>> runs =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Whether the simulator reads and writes batches of messages in one frame (capability "batch"). */
    final boolean batch;

    SimulatorConnection(String name, String version, boolean selfDraw, int slots, int concurrent, boolean batch,
            StreamObserver<RuntimeMessage> out) {
        this.name = name;
        this.version = version;
        this.selfDraw = selfDraw;
        this.slots = slots;
        this.concurrent = concurrent;
        this.batch = batch;
        this.out = out;
    }

    /** Whether the connection may carry several runs at once, each reading its own messages by run id. */
    private boolean multiplexed() {
        return slots > 1 || concurrent > 1;
    }

    /** How many runs of one kind the connection carries at once: self-drawn ones ({@code selfDrawn}) queue, others do not. */
    int capacity(boolean selfDrawn) {
        return selfDrawn && selfDraw ? Math.max(slots, concurrent) : concurrent;
    }

    /** Opens run {@code runId}'s own inbox on a connection of several slots, before its StartRun is sent. */
    void begin(long runId) {
        if (multiplexed()) {
            LinkedBlockingQueue<SimulatorMessage> q = new LinkedBlockingQueue<>();
            runs.put(runId, q);
            if (closed) {
                q.add(CLOSED);
            }
        }
    }

    /** Closes run {@code runId}'s inbox once the run is over. */
    void end(long runId) {
        runs.remove(runId);
    }

    void deliver(SimulatorMessage m) {
        if (m.hasBatch()) {
            if (!batch) {
                markBroken("it sent a batch without saying it would (capability \"" + BridgeServer.BATCH + "\" in its Hello)");
                return;
            }
            for (SimulatorMessage inner : m.getBatch().getMessagesList()) {
                if (inner.hasBatch() || inner.hasHello()) {
                    markBroken("it sent a batch holding a " + inner.getKindCase());
                    return;
                }
                deliverOne(inner);
            }
            return;
        }
        deliverOne(m);
    }

    private void deliverOne(SimulatorMessage m) {
        if (!multiplexed()) {
            inbox.add(m);
            return;
        }
        long runId = runIdOf(m);
        LinkedBlockingQueue<SimulatorMessage> q = runs.get(runId);
        if (q == null) {
            markBroken("it sent " + m.getKindCase() + " for run " + runId + ", which is not in progress on it");
        } else {
            q.add(m);
        }
    }

    private static long runIdOf(SimulatorMessage m) {
        switch (m.getKindCase()) {
            case SAMPLE: return m.getSample().getRunId();
            case OBSERVE: return m.getObserve().getRunId();
            case TAG: return m.getTag().getRunId();
            case FACTOR: return m.getFactor().getRunId();
            case RESULT: return m.getResult().getRunId();
            case ERROR: return m.getError().getRunId();
            case LOOP_BEGIN: return m.getLoopBegin().getRunId();
            case LOOP_END: return m.getLoopEnd().getRunId();
            default: return -1;
        }
    }

    /**
     * Run {@code runId}'s next message, or null after {@code timeoutMillis}; {@link #CLOSED} once
     * the stream is gone.
     */
    SimulatorMessage next(long runId, long timeoutMillis) throws InterruptedException {
        LinkedBlockingQueue<SimulatorMessage> q = multiplexed() ? runs.get(runId) : inbox;
        return q == null ? CLOSED : q.poll(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private final Object outboxLock = new Object();
    /** StartRuns queued while another run's thread sends: they go out together. Guarded by outboxLock. */
    private java.util.ArrayList<RuntimeMessage> outbox = new java.util.ArrayList<>();
    private boolean flushing;

    /**
     * Sends a run's StartRun. On a connection that takes batches, the StartRuns that other runs'
     * threads queue while one is being sent go out in the next frame, together (a group commit:
     * nothing waits for company, but runs started at once share a frame). False if the stream is
     * known to be gone; a StartRun whose sending fails later wakes its run through the closed
     * stream instead.
     */
    boolean sendStart(RuntimeMessage m) {
        if (!batch) {
            return send(m);
        }
        synchronized (outboxLock) {
            outbox.add(m);
            if (flushing) {
                return !closed;
            }
            flushing = true;
        }
        boolean ok = true;
        while (true) {
            java.util.ArrayList<RuntimeMessage> frame;
            synchronized (outboxLock) {
                if (outbox.isEmpty()) {
                    flushing = false;
                    return ok;
                }
                frame = outbox;
                outbox = new java.util.ArrayList<>();
            }
            ok &= send(frame.size() == 1 ? frame.get(0)
                    : RuntimeMessage.newBuilder().setBatch(dev.probe.bridge.v1.RuntimeBatch.newBuilder().addAllMessages(frame)).build());
        }
    }

    /** Sends several runs' StartRuns: in one frame when the simulator takes batches; false if the stream is gone. */
    boolean sendStarts(java.util.List<RuntimeMessage> starts) {
        if (starts.size() == 1 || !batch) {
            boolean ok = true;
            for (RuntimeMessage m : starts) {
                ok &= send(m);
            }
            return ok;
        }
        return send(RuntimeMessage.newBuilder().setBatch(dev.probe.bridge.v1.RuntimeBatch.newBuilder().addAllMessages(starts)).build());
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
            wakeAll();
        }
    }

    /** Wakes every run waiting on this connection: the stream is gone. */
    private void wakeAll() {
        inbox.add(CLOSED);
        runs.values().forEach(q -> q.add(CLOSED));
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
        wakeAll();
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
