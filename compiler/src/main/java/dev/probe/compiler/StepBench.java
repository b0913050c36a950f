package dev.probe.compiler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.probe.proposals.Batch;
import dev.probe.proposals.Choice;
import dev.probe.proposals.Head;
import dev.probe.proposals.ObservationLayout;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.proposals.Run;

/**
 * What one training step of the proposal network costs at a given size, against the bound set by
 * its floating-point work: the matrix products of the LSTM, its input layer and the heads (forward,
 * and twice that backward) divided by the rate this CPU multiplies large matrices at. The fastest
 * of the repeated steps is kept, and the matrix-product rate is the best of several. Times are the
 * thread's CPU time (PyTorch at one thread computes on the calling thread), so a loaded machine
 * slows them little. Synthetic
 * runs of a fixed number of real-valued choices, each at an address of its own, stand in for a
 * model; the step is the trainer's (packed batch, loss, backward, Adam), in either of its passes:
 * the native library's with autograd, or the Java pass ({@link dev.probe.proposals.Backprop}).
 */
public final class StepBench {

    /**
     * One measured size.
     *
     * @param pass         "native" or "java"
     * @param hidden       LSTM units
     * @param batch        runs per optimiser step
     * @param steps        choices per run
     * @param weights      the network's weights
     * @param forwardMs    the loss, per optimiser step
     * @param backwardMs   its gradient
     * @param adamMs       the update
     * @param boundMs      the step's matrix products at the measured matrix-product rate
     * @param gflops       that rate (GFLOP/s)
     */
    public record Figure(String pass, int hidden, int batch, int steps, long weights, double forwardMs, double backwardMs, double adamMs,
            double boundMs, double gflops) {

        public double stepMs() {
            return forwardMs + backwardMs + adamMs;
        }

        /** The step's time over its floating-point bound. */
        public double ratio() {
            return stepMs() / boundMs;
        }

        /** Training runs per second at this size, the simulation aside. */
        public double tracesPerSecond() {
            return batch * 1000 / stepMs();
        }
    }

    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private StepBench() {
    }

    /**
     * This thread's CPU time in ns: PyTorch at one thread computes on the caller's thread, so this
     * is the work itself, not the time spent waiting for a core on a shared machine.
     */
    private static long cpu() {
        return THREADS.getCurrentThreadCpuTime();
    }

    /** GFLOP/s of an (n x n) by (n x n) product, the best of a few after a warm-up. */
    public static double matMulRate(int n) {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 8; i++) {
                try (NDManager s = m.newSubManager()) {
                    long t = cpu();
                    NDArray c = a.matMul(b);
                    c.attach(s);
                    c.toFloatArray();
                    best = Math.min(best, cpu() - t);
                }
            }
            return 2.0 * n * n * n / best;
        }
    }

    /**
     * Times {@code repeats} training steps (after a few to warm up) at one size; keeps the fastest.
     * With {@code java}, the Java pass: its forward time is a forward pass alone, its backward time
     * what the gradient adds to that.
     */
    public static Figure measure(ProposalNetwork.Config config, int batch, int steps, int repeats, double gflops,
            boolean java) {
        ObservationLayout layout = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null, new double[10],
                filled(10, 1))));
        java.util.Random random = new java.util.Random(1);
        List<Run> runs = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            float[] input = new float[10];
            for (int i = 0; i < input.length; i++) {
                input[i] = (float) random.nextGaussian();
            }
            List<Choice> choices = new ArrayList<>();
            for (int t = 0; t < steps; t++) {
                double v = random.nextGaussian();
                choices.add(new Choice("x" + t, "Normal", Head.NORMAL, new double[] {0, 1}, v, v));
            }
            runs.add(new Run(input, choices));
        }
        if (java) {
            return measureJava(config, layout, runs, steps, repeats, gflops);
        }
        try (ProposalNetwork network = ProposalNetwork.create(config, layout, Device.cpu(), 1)) {
            for (NDArray p : network.parameters().values()) {
                p.setRequiresGradient(true);
            }
            Batch encoded = Batch.of(runs, network, true);
            Adam adam = new Adam();
            double forward = 0;
            double backward = 0;
            double update = 0;
            double best = Double.MAX_VALUE;
            int warm = 3;
            try {
                for (int i = 0; i < warm + repeats; i++) {
                    try (NDManager scope = network.manager().newSubManager()) {
                        long t0 = cpu();
                        long t1;
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray loss = network.loss(encoded, scope);
                            loss.getFloat();
                            t1 = cpu();
                            gc.backward(loss);
                        }
                        network.parameters().get("lstm.bias").getGradient().getFloat(0);
                        long t2 = cpu();
                        adam.step(network.parameters(), network.usedBy(encoded), 1e-4, scope);
                        long t3 = cpu();
                        // The fastest step is kept: on a shared machine the others measure the neighbours too.
                        if (i >= warm && t3 - t0 < best) {
                            best = t3 - t0;
                            forward = (t1 - t0) / 1e6;
                            backward = (t2 - t1) / 1e6;
                            update = (t3 - t2) / 1e6;
                        }
                    }
                }
            } finally {
                adam.close();
            }
            return new Figure("native", config.hidden(), batch, steps, network.size(), forward, backward, update,
                    flops(config, batch, steps) / gflops / 1e6, gflops);
        }
    }

    private static Figure measureJava(ProposalNetwork.Config config, ObservationLayout layout, List<Run> runs, int steps,
            int repeats, double gflops) {
        try (ProposalNetwork network = ProposalNetwork.create(config, layout, Device.cpu(), 1)) {
            Batch encoded = Batch.of(runs, network, true);
            dev.probe.proposals.Backprop pass = new dev.probe.proposals.Backprop(network);
            ArrayAdam adam = new ArrayAdam();
            double forward = 0;
            double backward = 0;
            double update = 0;
            double best = Double.MAX_VALUE;
            // The JIT compiles the Java pass's loops after a few hundred calls: warm up for longer.
            int warm = 30;
            for (int i = 0; i < warm + repeats; i++) {
                long t0 = cpu();
                pass.loss(encoded);
                long t1 = cpu();
                pass.lossAndGradient(encoded);
                long t2 = cpu();
                adam.step(pass.weights(), pass.gradients(), network.usedBy(encoded), 1e-4);
                long t3 = cpu();
                long step = (t2 - t1) + (t3 - t2);
                if (i >= warm && step < best) {
                    best = step;
                    forward = (t1 - t0) / 1e6;
                    backward = Math.max(0, (t2 - t1) - (t1 - t0)) / 1e6;
                    update = (t3 - t2) / 1e6;
                }
            }
            return new Figure("java", config.hidden(), runs.size(), steps, network.size(), forward, backward, update,
                    flops(config, runs.size(), steps) / gflops / 1e6, gflops);
        }
    }

    /** The matrix products of one training step (forward and backward) in floating-point operations. */
    static double flops(ProposalNetwork.Config c, int batch, int steps) {
        int h = c.hidden();
        int in = c.observationEmbedding() + 2 * c.addressEmbedding() + 2 * c.kindEmbedding() + c.valueEmbedding();
        int eo = c.observationEmbedding();
        double rows = (double) batch * steps;
        // The observation's share of the input product is made once per run (ProposalNetwork.gateInputs).
        double forward = batch * 2.0 * eo * 4 * h + rows * 2.0 * (in - eo) * 4 * h + (rows - batch) * 2.0 * h * 4 * h
                + rows * 2.0 * h * 3 * Head.MIXTURE;
        return 3 * forward;
    }

    private static double[] filled(int n, double v) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** The sizes {@code probe bench --lstm} measures. */
    public static Map<String, int[]> sizes() {
        return Map.of("hidden", new int[] {32, 64, 128, 256, 512}, "batch", new int[] {64, 256});
    }
}
