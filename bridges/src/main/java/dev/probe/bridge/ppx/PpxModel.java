package dev.probe.bridge.ppx;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.zeromq.ZContext;

import dev.probe.bridge.ppx.PpxCodec.PpxException;
import dev.probe.bridge.ppx.PpxSimulator.Reply;
import dev.probe.bridge.ppx.wire.Message;
import dev.probe.bridge.ppx.wire.MessageBody;
import dev.probe.bridge.ppx.wire.Observe;
import dev.probe.bridge.ppx.wire.RunResult;
import dev.probe.bridge.ppx.wire.Sample;
import dev.probe.bridge.ppx.wire.Tag;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.model.RunAbandoned;

/**
 * Simulators that speak pyprob's PPX protocol, unmodified, as a model: each run takes an idle
 * simulator, sends it Run and answers its Sample, Observe and Tag requests through the engine's
 * context, so the runtime decides every value and every engine drives it. A named sample or
 * observation keeps its PPX name; an unnamed one is addressed by its PPX address. Either the
 * simulators were started by hand ({@link #connect}) or by this class ({@link #launch}), which passes
 * each copy the address to bind as its last argument, as pyprob_cpp's examples take it.
 */
public final class PpxModel implements Model, AutoCloseable {

    private final ZContext zmq = new ZContext();
    private final List<PpxSimulator> all = new ArrayList<>();
    private final LinkedBlockingQueue<PpxSimulator> idle = new LinkedBlockingQueue<>();
    private final List<Process> processes = new ArrayList<>();
    private final long deadlineMillis;
    private final String label;

    private PpxModel(long deadlineMillis, String label) {
        this.deadlineMillis = deadlineMillis;
        this.label = label;
    }

    /**
     * Connects to PPX simulators already listening at {@code addresses} (tcp://HOST:PORT), waiting up
     * to {@code handshakeMillis} for each to answer the handshake.
     *
     * @param deadlineMillis how long a simulator may take to answer a request mid-run
     * @throws SimulatorException when one does not answer in time
     */
    public static PpxModel connect(List<String> addresses, long deadlineMillis, long handshakeMillis) {
        PpxModel m = new PpxModel(deadlineMillis, "ppx:" + String.join(",", addresses));
        try {
            for (String address : addresses) {
                m.add(address, handshakeMillis, () -> false);
            }
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /**
     * Starts {@code workers} copies of {@code command} (through {@code sh -c}), each with a free
     * loopback address as its last argument (and in {@code PROBE_PPX_ADDRESS}), and connects to them.
     * Their output goes to this process's standard error.
     */
    public static PpxModel launch(String command, int workers, long deadlineMillis, long startMillis) throws IOException {
        PpxModel m = new PpxModel(deadlineMillis, "simulator:" + command);
        try {
            for (int i = 0; i < workers; i++) {
                String address = "tcp://127.0.0.1:" + freePort();
                ProcessBuilder pb = new ProcessBuilder("sh", "-c", WATCH, "probe-ppx-watch", command + " " + address + " 1>&2");
                pb.environment().put("PROBE_PPX_ADDRESS", address);
                pb.environment().put("PROBE_PARENT_PID", Long.toString(ProcessHandle.current().pid()));
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.redirectError(ProcessBuilder.Redirect.INHERIT);
                Process p = pb.start();
                m.processes.add(p);
                try {
                    m.add(address, startMillis, () -> !p.isAlive());
                } catch (SimulatorException e) {
                    throw new SimulatorException("the PPX simulator '" + command + "' did not start: " + e.getMessage()
                            + (p.isAlive() ? "" : " (exit code " + p.exitValue() + ")"));
                }
            }
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /**
     * The shell a PPX simulator runs under. PPX simulators (pyprob's, pyprob_cpp's) serve until
     * killed and know nothing of Probe, so a runtime killed with SIGKILL, when no hook of its own can
     * run, would leave them serving for ever. This shell starts the command (its argument) and
     * reads its own parent from /proc five times a second: when the runtime exits, however, the
     * kernel hands its children to another parent at once (before anyone reaps it), and the shell
     * ends the command and everything the command started (its own session and process group
     * through setsid where there is one). It passes the command's exit status on, and a TERM
     * sent to it (by {@link #close}) to the command.
     */
    private static final String WATCH = String.join("\n",
            "if command -v setsid >/dev/null 2>&1; then setsid sh -c \"$1\" & else sh -c \"$1\" & fi",
            "c=$!",
            "end() { kill -TERM -$c 2>/dev/null || kill -TERM $c 2>/dev/null; }",
            "trap 'end; wait $c; exit 143' TERM INT HUP",
            "while kill -0 $c 2>/dev/null; do",
            "  read -r s < /proc/$$/stat",
            "  set -- ${s##*) }",
            "  if [ \"$2\" != \"$PROBE_PARENT_PID\" ]; then end; fi",
            "  sleep 0.2",
            "done",
            "wait $c");

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private void add(String address, long handshakeMillis, java.util.function.BooleanSupplier giveUp) {
        PpxSimulator sim = new PpxSimulator(zmq, address);
        all.add(sim);
        sim.handshake(handshakeMillis, giveUp);
        idle.add(sim);
    }

    @Override
    public String name() {
        return label;
    }

    /** The simulators' model names from their handshakes: what a trained network for them is tied to. */
    @Override
    public String identity() {
        TreeSet<String> names = new TreeSet<>();
        all.forEach(s -> names.add(s.modelName()));
        return "ppx " + String.join(" + ", names);
    }

    /** One run per simulator. */
    @Override
    public int maxConcurrentRuns() {
        return Math.max(1, all.size());
    }

    /** Processes started, for tests that stop one. */
    public List<Process> processes() {
        return processes;
    }

    @Override
    public Object run(Context ctx) {
        PpxSimulator sim = take();
        boolean done = false;
        try {
            Object result = converse(ctx, sim);
            done = true;
            return result;
        } catch (RunAbandoned stop) {
            done = finishAbandoned(sim);
            throw stop;
        } finally {
            if (done) {
                idle.add(sim);
            } else {
                // PPX cannot abandon a run: the simulator still waits for an answer. Drop it.
                sim.close();
            }
        }
    }

    /**
     * Runs to its end a run the engine stopped on purpose at an observation (SMC), since PPX cannot
     * cancel one: the simulator, waiting for its ObserveResult, is answered on, its samples drawn
     * from their priors by a fixed-seed generator of its own and its observations and tags
     * acknowledged, until its RunResult, which is dropped. Returns whether the simulator can serve
     * the next run; one that fails meanwhile is dropped as after any failed run.
     */
    private boolean finishAbandoned(PpxSimulator sim) {
        org.apache.commons.rng.UniformRandomProvider scratch = new org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus(
                0x5eed_ab4dL, 1L);
        try {
            Reply r = sim.request(PpxCodec.observeResult(), deadlineMillis);
            while (true) {
                Message m = r.message();
                switch (m.bodyType()) {
                    case MessageBody.Sample: {
                        Sample s = (Sample) m.body(new Sample());
                        Distribution<?> d = PpxCodec.distribution(s.distributionType(), s::distribution, r.bytes());
                        r = sim.request(PpxCodec.sampleResult(d.sample(scratch)), deadlineMillis);
                        break;
                    }
                    case MessageBody.Observe:
                        r = sim.request(PpxCodec.observeResult(), deadlineMillis);
                        break;
                    case MessageBody.Tag:
                        r = sim.request(PpxCodec.tagResult(), deadlineMillis);
                        break;
                    case MessageBody.RunResult:
                        return true;
                    default:
                        sim.close();
                        return false;
                }
            }
        } catch (RuntimeException e) {
            sim.close();
            return false;
        }
    }

    private PpxSimulator take() {
        while (true) {
            if (all.stream().allMatch(PpxSimulator::isClosed)) {
                throw new SimulatorException("every PPX simulator is gone (PPX cannot cancel a run: one whose run failed is dropped)");
            }
            PpxSimulator s;
            try {
                s = idle.poll(deadlineMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SimulatorException("interrupted while waiting for a PPX simulator");
            }
            if (s == null) {
                throw new SimulatorException("no PPX simulator was free for " + deadlineMillis / 1000 + " s");
            }
            if (!s.isClosed()) {
                return s;
            }
        }
    }

    private Object converse(Context ctx, PpxSimulator sim) {
        Reply r = sim.request(PpxCodec.run(), deadlineMillis);
        while (true) {
            Message m = r.message();
            try {
                switch (m.bodyType()) {
                    case MessageBody.Sample: {
                        Sample s = (Sample) m.body(new Sample());
                        Distribution<?> d = PpxCodec.distribution(s.distributionType(), s::distribution, r.bytes());
                        Object v = nonEmpty(s.name()) ? ctx.sample(d, s.name(), s.control())
                                : ctx.sample(d, Address.site(address(s.address(), "Sample"), d.kind()), null, s.control());
                        r = sim.request(PpxCodec.sampleResult(v), deadlineMillis);
                        break;
                    }
                    case MessageBody.Observe: {
                        observe(ctx, (Observe) m.body(new Observe()), r.bytes());
                        r = sim.request(PpxCodec.observeResult(), deadlineMillis);
                        break;
                    }
                    case MessageBody.Tag: {
                        Tag t = (Tag) m.body(new Tag());
                        Object v = PpxCodec.value(t.value(), r.bytes(), "a Tag's value");
                        if (v == null) {
                            throw new PpxException("a Tag without a value");
                        }
                        ctx.tag(v, nonEmpty(t.name()) ? t.name() : address(t.address(), "Tag"));
                        r = sim.request(PpxCodec.tagResult(), deadlineMillis);
                        break;
                    }
                    case MessageBody.RunResult:
                        return PpxCodec.value(((RunResult) m.body(new RunResult())).result(), r.bytes(), "the RunResult");
                    case MessageBody.Reset:
                        throw new PpxException("answered Reset: it did not expect the engine's message (is it mid-run from"
                                + " another engine?)");
                    default:
                        throw new PpxException("sent " + MessageBody.name(m.bodyType()) + " during a run");
                }
            } catch (PpxException | IndexOutOfBoundsException e) {
                throw sim.fail("broke the PPX protocol: " + (e instanceof PpxException ? e.getMessage() : "a malformed message"));
            }
        }
    }

    /**
     * A named observation takes the runtime's value for the name (simulated under prior sampling),
     * unless the runtime has none and the simulator sent one; an unnamed one is its value, fixed.
     */
    private static void observe(Context ctx, Observe o, int bytes) {
        Distribution<?> d = PpxCodec.distribution(o.distributionType(), o::distribution, bytes);
        Object value = PpxCodec.value(o.value(), bytes, "an Observe's value");
        Map<String, Object> given = ctx.observations();
        if (nonEmpty(o.name()) && (value == null || given.containsKey(o.name()))) {
            ctx.observe(d, o.name());
        } else if (value != null) {
            observeFixed(ctx, d, value);
        } else {
            throw new PpxException("an Observe with neither a name nor a value");
        }
    }

    private static <T> void observeFixed(Context ctx, Distribution<T> d, Object v) {
        try {
            ctx.observe(d, d.cast(v));
        } catch (IllegalArgumentException e) {
            throw new ModelException(e.getMessage());
        }
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isEmpty();
    }

    private static String address(String address, String what) {
        if (!nonEmpty(address)) {
            throw new PpxException("a " + what + " with neither a name nor an address");
        }
        return address;
    }

    @Override
    public void close() {
        all.forEach(PpxSimulator::close);
        zmq.close();
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
