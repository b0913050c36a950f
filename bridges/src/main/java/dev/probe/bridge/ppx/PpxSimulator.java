package dev.probe.bridge.ppx;

import java.util.function.BooleanSupplier;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import dev.probe.bridge.ppx.PpxCodec.PpxException;
import dev.probe.bridge.ppx.wire.HandshakeResult;
import dev.probe.bridge.ppx.wire.Message;
import dev.probe.bridge.ppx.wire.MessageBody;
import dev.probe.runtime.SimulatorException;

/**
 * One PPX simulator: Probe's REQ socket connected to the simulator's REP socket. PPX has no
 * deadlines and no errors on the wire, so every reply is awaited for at most the deadline, and a
 * simulator that misses it, or sends what is not a PPX message, is dropped: PPX cannot cancel a run
 * nor tell a simulator why.
 */
final class PpxSimulator implements AutoCloseable {

    /** A reply and its size (the bound for the tensors read from it). */
    record Reply(Message message, int bytes) {
    }

    final String address;
    private final ZMQ.Socket socket;
    private String modelName = "";
    private volatile boolean closed;

    PpxSimulator(ZContext zmq, String address) {
        this.address = address;
        this.socket = zmq.createSocket(SocketType.REQ);
        socket.setLinger(0);
        try {
            socket.connect(address);
        } catch (RuntimeException e) {
            socket.close();
            throw new IllegalArgumentException("cannot connect to '" + address + "': " + e.getMessage()
                    + " (expected a ZeroMQ address such as tcp://127.0.0.1:5555)");
        }
    }

    /**
     * Sends Handshake and waits up to {@code waitMillis} for HandshakeResult: the simulator may still
     * be starting. {@code giveUp} ends the wait early (a started simulator that exited).
     */
    void handshake(long waitMillis, BooleanSupplier giveUp) {
        socket.setReceiveTimeOut(100);
        socket.send(PpxCodec.handshake("Probe"), 0);
        long end = System.nanoTime() + waitMillis * 1_000_000;
        byte[] bytes;
        while ((bytes = socket.recv(0)) == null) {
            if (giveUp.getAsBoolean()) {
                throw new SimulatorException("the PPX simulator for " + address + " exited before answering the handshake");
            }
            if (System.nanoTime() > end) {
                throw new SimulatorException("no PPX simulator answered at " + address + " within " + waitMillis / 1000
                        + " s: start one there first (the simulator binds the address, Probe connects to it)");
            }
        }
        Reply r = read(bytes);
        if (r.message().bodyType() != MessageBody.HandshakeResult) {
            throw fail("answered the handshake with " + MessageBody.name(r.message().bodyType()) + ", not HandshakeResult");
        }
        HandshakeResult h = (HandshakeResult) r.message().body(new HandshakeResult());
        modelName = h.modelName() == null ? "" : h.modelName();
    }

    /** The model name the simulator gave in its handshake. */
    String modelName() {
        return modelName;
    }

    /** Sends a request and waits up to {@code deadlineMillis} for the reply. */
    Reply request(byte[] message, long deadlineMillis) {
        socket.setReceiveTimeOut((int) Math.min(Integer.MAX_VALUE, deadlineMillis));
        if (!socket.send(message, 0)) {
            throw fail("could not be sent a message");
        }
        byte[] bytes = socket.recv(0);
        if (bytes == null) {
            throw fail("sent nothing for " + deadlineMillis / 1000.0 + " s (the deadline); PPX cannot cancel a run, so the"
                    + " inference stops");
        }
        return read(bytes);
    }

    private Reply read(byte[] bytes) {
        try {
            return new Reply(PpxCodec.decode(bytes), bytes.length);
        } catch (PpxException e) {
            throw fail("sent " + e.getMessage());
        }
    }

    /** Drops the simulator and describes what it did. */
    SimulatorException fail(String what) {
        close();
        return new SimulatorException("the PPX simulator at " + address + " " + what);
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            socket.close();
        }
    }

    @Override
    public String toString() {
        return modelName.isEmpty() ? address : modelName + " at " + address;
    }
}
