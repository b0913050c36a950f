package dev.probe.bridge;

import java.util.concurrent.atomic.AtomicLong;

import dev.probe.bridge.v1.Error;
import dev.probe.bridge.v1.Observe;
import dev.probe.bridge.v1.RuntimeMessage;
import dev.probe.bridge.v1.Sample;
import dev.probe.bridge.v1.SimulatorMessage;
import dev.probe.bridge.v1.StartRun;
import dev.probe.bridge.v1.Value;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Values;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.model.RetryRunException;
import dev.probe.runtime.model.RunAbandoned;

/**
 * The simulators attached to a {@link BridgeServer}, as a model: each run takes an idle simulator,
 * starts a run on it and answers its sample and observe calls through the engine's context, so the
 * runtime decides every value. A simulator that dies or stalls mid-run loses the run, which the
 * engine retries (on another simulator if one is left); one that breaks the protocol is told what
 * was wrong and fails the inference with exit code 4.
 */
public final class SimulatorModel implements Model {

    private final BridgeServer server;
    private final long deadlineMillis;
    private final String name;
    private final AtomicLong runIds = new AtomicLong();
    /** The observations map last seen and its tensors, as one pair so that threads see them together. */
    private volatile Object[] givenTensors;

    /**
     * @param deadlineMillis how long a simulator may take to send its next message before its
     *                       run is taken as lost
     */
    public SimulatorModel(BridgeServer server, long deadlineMillis, String name) {
        this(server, deadlineMillis, name, false);
    }

    /**
     * @param selfDraw where the engine decides no choice of a run (prior sampling, importance
     *                 sampling from the prior, training data), let a simulator that can draw its
     *                 own choices from the run's seed do so: one round trip per run, but values of
     *                 the simulator's generator, not the runtime's (docs/bridge.md, "Self-draw")
     */
    public SimulatorModel(BridgeServer server, long deadlineMillis, String name, boolean selfDraw) {
        this.server = server;
        this.deadlineMillis = deadlineMillis;
        this.name = name;
        this.selfDraw = selfDraw;
    }

    private final boolean selfDraw;

    @Override
    public String name() {
        return name;
    }

    /** Grid shapes (rank 2 or more) of named observations, as the simulator sent them. */
    private final java.util.concurrent.ConcurrentHashMap<String, int[]> shapes = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public int[] observationShape(String name) {
        int[] s = shapes.get(name);
        return s == null ? null : s.clone();
    }

    /** Notes the shape of an observation whose distribution's first parameter (or value) is a grid. */
    private void noteShape(Observe o) {
        if (o.getName().isEmpty() || shapes.containsKey(o.getName())) {
            return;
        }
        java.util.List<Long> shape = o.getDistribution().getParamsCount() > 0 ? o.getDistribution().getParams(0).getShapeList()
                : java.util.List.of();
        if (shape.size() < 2 && o.hasValue()) {
            shape = o.getValue().getShapeList();
        }
        if (shape.size() >= 2) {
            shapes.putIfAbsent(o.getName(), shape.stream().mapToInt(Long::intValue).toArray());
        }
    }

    /**
     * One run per attached simulator, N per simulator that serves "concurrent-runs:N" (self-drawn
     * runs: see {@link #runsPerThread()}).
     */
    @Override
    public int maxConcurrentRuns() {
        return Math.max(1, server.concurrentRuns());
    }

    /**
     * With self-draw, runs from the prior go {@link BridgeServer#RUNS_IN_FLIGHT} at a time per
     * simulator: self-drawn runs share a connection that carries several ({@link BridgeServer#take}).
     */
    @Override
    public int runsPerThread() {
        return selfDraw ? BridgeServer.RUNS_IN_FLIGHT : 1;
    }

    /** The simulator's own name and version, from its handshake, whatever command started it. */
    @Override
    public String identity() {
        return "simulator " + server.simulators();
    }

    /**
     * Self-drawn runs are started ahead, several per connection, with no thread per run: see
     * {@link #startAhead}.
     */
    @Override
    public boolean startsAhead() {
        return selfDraw;
    }

    /** A run sent to its simulator: whether its StartRun went out. */
    private record Started(SimulatorConnection conn, long runId, boolean drawing, boolean sent) {
    }

    /** Runs started ahead ({@link #startAhead}) whose {@link #run} has not begun, by their context. */
    private final java.util.concurrent.ConcurrentHashMap<Context, Started> ahead = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Starts self-drawn runs on connections with a free slot, without waiting for one: the
     * StartRuns for one connection go out in one frame when its simulator takes batches. Stops at
     * the first run for which no slot is free.
     */
    @Override
    public int startAhead(java.util.List<? extends Context> runs) {
        java.util.Map<SimulatorConnection, java.util.List<RuntimeMessage>> frames = new java.util.LinkedHashMap<>();
        int started = 0;
        for (Context ctx : runs) {
            java.util.OptionalLong seed = ctx.selfDrawSeed();
            SimulatorConnection conn = server.tryTake(seed.isPresent());
            if (conn == null) {
                break;
            }
            long runId = runIds.incrementAndGet();
            boolean drawing = seed.isPresent() && conn.selfDraw;
            conn.begin(runId);
            frames.computeIfAbsent(conn, c -> new java.util.ArrayList<>()).add(startMessage(ctx, runId, drawing, seed));
            ahead.put(ctx, new Started(conn, runId, drawing, true));
            started++;
        }
        for (java.util.Map.Entry<SimulatorConnection, java.util.List<RuntimeMessage>> f : frames.entrySet()) {
            // A frame that does not go out leaves its runs to find the stream closed, and be retried.
            f.getKey().sendStarts(f.getValue());
        }
        return started;
    }

    @Override
    public Object run(Context ctx) {
        Started s = ahead.isEmpty() ? null : ahead.remove(ctx);
        return finish(ctx, s != null ? s : start(ctx));
    }

    /** Takes a simulator for the run, waiting for one, and sends its StartRun. */
    private Started start(Context ctx) {
        // Asked before a connection is taken, and whatever the connection, so that the run's own
        // generator advances alike on each.
        java.util.OptionalLong seed = selfDraw ? ctx.selfDrawSeed() : java.util.OptionalLong.empty();
        SimulatorConnection conn;
        try {
            conn = server.take(deadlineMillis, seed.isPresent());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SimulatorException("interrupted while waiting for a simulator");
        }
        long runId = runIds.incrementAndGet();
        boolean drawing = seed.isPresent() && conn.selfDraw;
        conn.begin(runId);
        boolean sent = conn.sendStart(startMessage(ctx, runId, drawing, seed));
        return new Started(conn, runId, drawing, sent);
    }

    private RuntimeMessage startMessage(Context ctx, long runId, boolean drawing, java.util.OptionalLong seed) {
        StartRun.Builder start = start(ctx, runId).toBuilder();
        if (drawing) {
            start.setSelfDraw(true).setSeed(seed.getAsLong());
        }
        return RuntimeMessage.newBuilder().setStart(start).build();
    }

    /** Answers the run's messages to its end, then gives its simulator back (or drops it after a failure). */
    private Object finish(Context ctx, Started s) {
        SimulatorConnection conn = s.conn();
        long runId = s.runId();
        boolean reusable = false;
        SimulatorMessage[] handling = new SimulatorMessage[1];
        try {
            if (!s.sent()) {
                throw gone(conn, runId);
            }
            Object result = converse(ctx, conn, runId, false, s.drawing(), handling);
            reusable = true;
            return result;
        } catch (RunAbandoned stop) {
            reusable = cancel(conn, runId, handling[0]);
            throw stop;
        } finally {
            conn.end(runId);
            if (reusable) {
                server.release(conn);
            } else if (!conn.isClosed()) {
                // After a failed run the simulator's state is unknown: drop it rather than reuse it.
                conn.close();
            }
        }
    }

    /**
     * StartRun, with the given observations that can travel as tensors. They are the same map for
     * every run of an inference, so they are converted once and kept with the map they came from.
     */
    private StartRun start(Context ctx, long runId) {
        java.util.Map<String, Object> given = ctx.observations();
        Object[] cached = givenTensors;
        if (cached == null || cached[0] != given) {
            java.util.List<dev.probe.bridge.v1.NamedValue> tensors = new java.util.ArrayList<>();
            for (java.util.Map.Entry<String, Object> e : given.entrySet()) {
                dev.probe.bridge.v1.Tensor t = Messages.tensorOrNull(e.getValue());
                if (t != null) {
                    tensors.add(dev.probe.bridge.v1.NamedValue.newBuilder().setName(e.getKey()).setValue(t).build());
                }
            }
            cached = new Object[] {given, tensors};
            givenTensors = cached;
        }
        @SuppressWarnings("unchecked")
        java.util.List<dev.probe.bridge.v1.NamedValue> tensors = (java.util.List<dev.probe.bridge.v1.NamedValue>) cached[1];
        return StartRun.newBuilder().setRunId(runId).addAllObservations(tensors).build();
    }

    /**
     * Ends a run the engine abandoned on purpose (SMC stops a particle at an observation) with the
     * protocol's Cancel, as the simulator's client expects at any message it awaits an answer to:
     * it aborts the run and waits for the next. {@code at} is the message being answered when the
     * run stopped. If the simulator did not wait for that answer (a pipelined observation, a tag
     * or a factor), the messages it sent since, up to the first it waits on or its run's end, are
     * read and dropped. Returns whether the connection is clean to reuse; if the simulator goes
     * quiet past the deadline or away, it is closed instead, as after any failed run.
     */
    private boolean cancel(SimulatorConnection conn, long runId, SimulatorMessage at) {
        if (!conn.send(RuntimeMessage.newBuilder().setCancel(dev.probe.bridge.v1.Cancel.newBuilder().setRunId(runId)
                .setReason("the engine stopped the run at its observation limit")).build())) {
            return false;
        }
        SimulatorMessage m = at;
        while (m == null || !awaitsAnswerOrEnds(m)) {
            try {
                m = conn.next(runId, deadlineMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (m == SimulatorConnection.CLOSED && conn.broken() != null) {
                throw gone(conn, runId);
            }
            if (m == null || m == SimulatorConnection.CLOSED) {
                return false;
            }
        }
        return true;
    }

    /** Whether a simulator waits for the runtime after sending {@code m}, or has ended its run. */
    private static boolean awaitsAnswerOrEnds(SimulatorMessage m) {
        switch (m.getKindCase()) {
            case SAMPLE:
            case LOOP_BEGIN:
            case LOOP_END:
            case RESULT:
            case ERROR:
                return true;
            case OBSERVE:
                return !m.getObserve().getPipelined();
            default:
                return false;
        }
    }

    /**
     * Answers the simulator's messages through {@code ctx} until the run's result, or, within a
     * rejection loop's iteration ({@code inLoop}), until its LoopEnd: then returns whether the
     * iteration was accepted.
     */
    private Object converse(Context ctx, SimulatorConnection conn, long runId, boolean inLoop, boolean drawing,
            SimulatorMessage[] handling) {
        while (true) {
            SimulatorMessage m;
            try {
                m = conn.next(runId, deadlineMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SimulatorException("interrupted while waiting for simulator " + conn);
            }
            if (m == null) {
                // Tell a simulator that may yet wake up why it is being dropped, then drop it.
                conn.send(RuntimeMessage.newBuilder().setCancel(dev.probe.bridge.v1.Cancel.newBuilder().setRunId(runId)
                        .setReason("no message for " + deadlineMillis / 1000.0 + " s (the deadline)")).build());
                conn.close();
                throw new RetryRunException("simulator " + conn + " sent nothing for " + deadlineMillis / 1000.0
                        + " s in run " + runId + " (deadline)");
            }
            if (m == SimulatorConnection.CLOSED) {
                throw gone(conn, runId);
            }
            handling[0] = m;
            switch (m.getKindCase()) {
                case SAMPLE: {
                    Sample s = m.getSample();
                    checkRun(conn, runId, s.getRunId(), "Sample");
                    Distribution<?> d = distribution(conn, runId, s.getDistribution());
                    if (s.getName().isEmpty() && s.getAddress().isEmpty()) {
                        throw violation(conn, runId, Error.Code.PROTOCOL, "a Sample needs a name or an address");
                    }
                    if (s.hasValue()) {
                        if (!drawing) {
                            throw violation(conn, runId, Error.Code.PROTOCOL, "a Sample with a value in a run that is not self-drawn");
                        }
                        Address a = s.getName().isEmpty() ? Address.site(s.getAddress(), d.kind()) : Address.named(s.getName());
                        try {
                            sampleDrawn(ctx, d, a, s.getName().isEmpty() ? null : s.getName(), !s.getUncontrolled(),
                                    value(conn, runId, s.getValue()));
                        } catch (IllegalArgumentException e) {
                            throw violation(conn, runId, Error.Code.PROTOCOL, "a drawn value that does not fit " + d.kind() + ": "
                                    + e.getMessage());
                        }
                        break;
                    }
                    Object v;
                    try {
                        if (s.getName().isEmpty()) {
                            if (s.getAddress().isEmpty()) {
                                throw violation(conn, runId, Error.Code.PROTOCOL, "a Sample needs a name or an address");
                            }
                            v = ctx.sample(d, Address.site(s.getAddress(), d.kind()), null, !s.getUncontrolled());
                        } else {
                            v = ctx.sample(d, s.getName(), !s.getUncontrolled());
                        }
                    } catch (ModelException e) {
                        tell(conn, runId, Error.Code.MODEL, e.getMessage());
                        throw e;
                    }
                    reply(conn, runId, v);
                    break;
                }
                case OBSERVE: {
                    Observe o = m.getObserve();
                    checkRun(conn, runId, o.getRunId(), "Observe");
                    noteShape(o);
                    Distribution<?> d = distribution(conn, runId, o.getDistribution());
                    Object v;
                    try {
                        if (o.getPipelined()) {
                            if (o.getDrawn() && !drawing) {
                                throw violation(conn, runId, Error.Code.PROTOCOL, "a drawn Observe in a run that is not self-drawn");
                            }
                            v = o.getDrawn() ? observeDrawn(ctx, d, o.getName(), value(conn, runId, o.getValue()))
                                    : ctx.observe(d, o.getName());
                            Object used = value(conn, runId, o.getValue());
                            if (!sameValue(d, v, used)) {
                                throw violation(conn, runId, Error.Code.PROTOCOL, "observation '" + o.getName()
                                        + "' was answered with " + Values.format(used)
                                        + ", but its value is " + Values.format(v));
                            }
                            break;
                        }
                        if (!o.getName().isEmpty()) {
                            v = ctx.observe(d, o.getName());
                        } else if (o.hasValue()) {
                            v = observeFixed(ctx, d, value(conn, runId, o.getValue()));
                        } else {
                            throw violation(conn, runId, Error.Code.PROTOCOL, "an Observe needs a name or a value");
                        }
                    } catch (ModelException e) {
                        tell(conn, runId, Error.Code.MODEL, e.getMessage());
                        throw e;
                    }
                    reply(conn, runId, v);
                    break;
                }
                case TAG:
                    checkRun(conn, runId, m.getTag().getRunId(), "Tag");
                    if (m.getTag().getName().isEmpty()) {
                        throw violation(conn, runId, Error.Code.PROTOCOL, "a Tag needs a name");
                    }
                    ctx.tag(value(conn, runId, m.getTag().getValue()), m.getTag().getName());
                    break;
                case FACTOR:
                    checkRun(conn, runId, m.getFactor().getRunId(), "Factor");
                    try {
                        ctx.factor(m.getFactor().getLogWeight());
                    } catch (ModelException e) {
                        tell(conn, runId, Error.Code.MODEL, e.getMessage());
                        throw e;
                    }
                    break;
                case LOOP_BEGIN: {
                    checkRun(conn, runId, m.getLoopBegin().getRunId(), "LoopBegin");
                    String name = m.getLoopBegin().getName().isEmpty() ? "loop" : m.getLoopBegin().getName();
                    if (drawing) {
                        // The simulator runs the loop itself; the runtime keeps its accepted iteration.
                        ctx.rejection(name, c -> (Boolean) converse(c, conn, runId, true, true, handling), accepted -> accepted);
                        break;
                    }
                    ctx.rejection(name, c -> {
                        reply(conn, runId, Boolean.TRUE);
                        return (Boolean) converse(c, conn, runId, true, false, handling);
                    }, accepted -> accepted);
                    reply(conn, runId, Boolean.FALSE);
                    break;
                }
                case LOOP_END:
                    checkRun(conn, runId, m.getLoopEnd().getRunId(), "LoopEnd");
                    if (!inLoop) {
                        throw violation(conn, runId, Error.Code.PROTOCOL, "a LoopEnd outside a rejection loop");
                    }
                    return m.getLoopEnd().getAccepted();
                case RESULT:
                    checkRun(conn, runId, m.getResult().getRunId(), "RunResult");
                    if (inLoop) {
                        throw violation(conn, runId, Error.Code.PROTOCOL, "the run ended inside a rejection loop's iteration");
                    }
                    return m.getResult().hasValue() ? value(conn, runId, m.getResult().getValue()) : null;
                case ERROR:
                    throw new SimulatorException("simulator " + conn + " reported an error in run " + runId + ": "
                            + m.getError().getMessage());
                default:
                    throw violation(conn, runId, Error.Code.PROTOCOL, "unexpected message " + m.getKindCase() + " during a run");
            }
        }
    }

    private static <T> void sampleDrawn(Context ctx, Distribution<T> d, Address a, String name, boolean control, Object v) {
        ctx.sampleDrawn(d, a, name, control, d.cast(v));
    }

    private static <T> T observeDrawn(Context ctx, Distribution<T> d, String name, Object drawn) {
        try {
            return ctx.observeDrawn(d, name, d.cast(drawn));
        } catch (IllegalArgumentException e) {
            throw new ModelException("observation '" + name + "': the drawn value does not fit " + d.kind() + ": " + e.getMessage());
        }
    }

    /** Whether the value a simulator used for a pipelined observation is the runtime's. */
    private static boolean sameValue(Distribution<?> d, Object expected, Object used) {
        try {
            return java.util.Objects.deepEquals(expected, d.cast(used));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static <T> T observeFixed(Context ctx, Distribution<T> d, Object v) {
        try {
            return ctx.observe(d, d.cast(v));
        } catch (IllegalArgumentException e) {
            throw new ModelException(e.getMessage());
        }
    }

    private void checkRun(SimulatorConnection conn, long expected, long got, String what) {
        if (got != expected) {
            throw violation(conn, expected, Error.Code.PROTOCOL, what + " for run " + got + " during run " + expected);
        }
    }

    private Distribution<?> distribution(SimulatorConnection conn, long runId, dev.probe.bridge.v1.Distribution d) {
        try {
            return Messages.distribution(d);
        } catch (IllegalArgumentException e) {
            throw violation(conn, runId, Error.Code.DISTRIBUTION, e.getMessage());
        }
    }

    private Object value(SimulatorConnection conn, long runId, dev.probe.bridge.v1.Tensor t) {
        try {
            return Messages.value(t);
        } catch (IllegalArgumentException e) {
            throw violation(conn, runId, Error.Code.PROTOCOL, e.getMessage());
        }
    }

    private void reply(SimulatorConnection conn, long runId, Object v) {
        if (!conn.send(RuntimeMessage.newBuilder().setValue(Value.newBuilder().setRunId(runId).setValue(Messages.tensor(v))).build())) {
            throw gone(conn, runId);
        }
    }

    /**
     * Why a run cannot go on once its simulator's stream is closed, whichever way the run found
     * out (a send refused, the inbox's {@link SimulatorConnection#CLOSED}): a protocol error when
     * the simulator broke the protocol in a way that ended its stream (an oversized message),
     * which fails the inference; otherwise the simulator is lost and the run is retried. The
     * connection learns why it broke before it is marked closed, so either way of finding out
     * gives the same answer.
     */
    private static RuntimeException gone(SimulatorConnection conn, long runId) {
        if (conn.broken() != null) {
            return new SimulatorException("simulator " + conn + " broke the bridge protocol in run " + runId + ": " + conn.broken());
        }
        return new RetryRunException("simulator " + conn + " went away in run " + runId + " (" + conn.closedWhy() + ")");
    }

    private static void tell(SimulatorConnection conn, long runId, Error.Code code, String message) {
        conn.send(RuntimeMessage.newBuilder().setError(Error.newBuilder().setCode(code).setRunId(runId).setMessage(message)).build());
    }

    /** Tells the simulator what it did wrong, drops it, and fails the inference. */
    private static SimulatorException violation(SimulatorConnection conn, long runId, Error.Code code, String message) {
        tell(conn, runId, code, message);
        conn.close();
        return new SimulatorException("simulator " + conn + " broke the bridge protocol in run " + runId + ": " + message);
    }
}
