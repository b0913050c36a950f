package dev.probe.compiler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.proposals.AddressTable;
import dev.probe.proposals.Artifact;
import dev.probe.proposals.Backprop;
import dev.probe.proposals.Batch;
import dev.probe.proposals.ObservationLayout;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.proposals.Run;
import dev.probe.runtime.InvalidSettingException;
import dev.probe.runtime.posterior.Statistics;

/**
 * Inference compilation's trainer: fits a proposal network to runs from the prior by minimising
 * -log q(choices | observations) with Adam. Runs arrive in blocks; each block is shuffled with a
 * seed and cut into batches, runs of every structure together (a packed {@link Batch}). A fixed validation set, simulated apart,
 * measures progress. The seed fixes everything: the same seed gives the same weights.
 */
public final class Trainer {

    /** Told how training goes. */
    public interface Listener {
        /** After each optimiser step. */
        void progress(long traces, long total, double trainLoss, double validLoss, double tracesPerSecond);

        /** A line worth showing (a checkpoint written). */
        default void message(String line) {
        }

        /** A line that must be shown even when progress is not (quiet runs included). */
        default void warning(String line) {
            message(line);
        }

        Listener NONE = (a, b, c, d, e) -> { };
    }

    /** Batches per block of simulated runs. */
    static final int BATCHES_PER_BLOCK = 16;
    /** Blocks simulated ahead of the one training. */
    static final int BLOCKS_AHEAD = 3;
    /** Validation points over a training (plus the last). */
    static final int VALIDATIONS = 20;
    /** Non-finite steps in a row after which training gives up. */
    static final int MAX_BAD_STEPS = 20;
    /** Standard deviations below this are taken as 1: a constant observation carries no information. */
    static final double MIN_STD = 1e-8;

    private Trainer() {
    }

    /** Trains a new network on runs from {@code source}; saves it under {@code options.out()} when set. */
    public static Artifact train(RunSource source, TrainingOptions options, Listener listener) {
        return train(source, options, null, 0, listener);
    }

    /**
     * Trains a new network on runs from {@code source}, then on {@code wakeRuns} runs that
     * {@code wake} draws with the network itself at its observation (null or 0: none).
     */
    public static Artifact train(RunSource source, TrainingOptions options, WakeSampler wake, long wakeRuns,
            Listener listener) {
        List<SimulatedRun> validationRuns = source.validation(options.validationSize());
        ObservationLayout layout = layout(validationRuns, images(validationRuns, source, options.images()));
        ProposalNetwork network = ProposalNetwork.create(options.network(), layout, options.device(), options.seed());
        try {
            return train(network, source, validationRuns, options, wake, wakeRuns, listener);
        } catch (RuntimeException | Error e) {
            network.close();
            throw e;
        }
    }

    private static Artifact train(ProposalNetwork network, RunSource source, List<SimulatedRun> validationRuns,
            TrainingOptions options, WakeSampler wake, long wakeRuns, Listener listener) {
        List<Run> validation = encode(validationRuns, network.layout());
        Pass pass = pass(network);
        ObjectNode record = Artifact.newObject();
        ArrayNode history = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
        long total = options.traces();
        long totalSteps = (total + options.batchSize() - 1) / options.batchSize();
        long validateEvery = Math.max(1, totalSteps / VALIDATIONS);
        long start = System.nanoTime();
        long done = 0;
        long step = 0;
        long nextCheckpoint = options.checkpointEvery() > 0 ? options.checkpointEvery() : Long.MAX_VALUE;
        double validLoss = pass.validationLoss(validation);
        double trainSum = 0;
        long trainCount = 0;
        double lastTrain = Double.NaN;
        int longest = 0;
        long skipped = 0;
        int badInARow = 0;
        boolean warnedFull = false;
        long block = 0;
        // Time the training thread spent waiting for simulated runs (ns): where it is most of the
        // training, simulation sets the pace, not the step.
        long waited = 0;
        int blockSize = options.batchSize() * BATCHES_PER_BLOCK;
        // The next blocks are simulated while this one trains: the source is asked in order, by one
        // thread, so the runs are those of a sequential training. Several blocks ahead, so that the
        // simulating threads keep going while a fast training step works through a block.
        java.util.concurrent.ExecutorService simulator = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "probe-simulate");
            t.setDaemon(true);
            return t;
        });
        try {
            long asked = 0;
            java.util.ArrayDeque<java.util.concurrent.Future<List<SimulatedRun>>> pending = new java.util.ArrayDeque<>();
            while (done < total) {
                while (asked < total && pending.size() < BLOCKS_AHEAD) {
                    int want = (int) Math.min(blockSize, total - asked);
                    asked += want;
                    pending.add(simulator.submit(() -> source.next(want)));
                }
                if (pending.isEmpty()) {
                    break;
                }
                long waitStart = System.nanoTime();
                List<SimulatedRun> simulated = await(pending.poll(), "simulating training runs");
                waited += System.nanoTime() - waitStart;
                if (simulated.isEmpty()) {
                    break;
                }
                if (!warnedFull && network.addresses().refusedChoices() > 0) {
                    warnedFull = true;
                    listener.message("the network's " + network.addresses().capacity() + " addresses are all taken (at " + done
                            + " traces): choices at further addresses will be drawn from their prior; raise maxAddresses");
                }
                for (List<Run> runs : batches(encode(simulated, network.layout()), options.batchSize(),
                        Streams.seed(options.seed(), 1_000_000L + block))) {
                    double lr = schedule(options.learningRate(), step, totalSteps);
                    for (Run r : runs) {
                        longest = Math.max(longest, r.choices().size());
                    }
                    double loss = pass.step(runs, lr);
                    if (Double.isNaN(loss)) {
                        // A step whose loss or gradient is not finite changes nothing; a run of them ends training.
                        skipped++;
                        if (++badInARow >= MAX_BAD_STEPS) {
                            throw new InvalidSettingException("learningRate", options.learningRate() + " is too high: the training"
                                    + " loss or its gradient was not finite for " + MAX_BAD_STEPS + " steps in a row (at " + done
                                    + " traces); lower it");
                        }
                        if (skipped == 1) {
                            listener.message("a step with a non-finite loss or gradient was skipped (at " + done + " traces);"
                                    + " the training record counts them");
                        }
                        loss = lastTrain;
                    } else {
                        badInARow = 0;
                    }
                    step++;
                    done += runs.size();
                    trainSum += loss * runs.size();
                    trainCount += runs.size();
                    lastTrain = loss;
                    boolean last = done >= total;
                    if (step % validateEvery == 0 || last) {
                        validLoss = pass.validationLoss(validation);
                        double seconds = (System.nanoTime() - start) / 1e9;
                        ObjectNode h = history.addObject();
                        h.put("traces", done);
                        h.put("seconds", round(seconds));
                        h.put("train_loss", round(trainSum / trainCount));
                        h.put("valid_loss", round(validLoss));
                        h.put("learning_rate", lr);
                        trainSum = 0;
                        trainCount = 0;
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    listener.progress(done, total, lastTrain, validLoss, done / Math.max(seconds, 1e-9));
                    if (done >= nextCheckpoint && !last && options.out() != null) {
                        nextCheckpoint += options.checkpointEvery();
                        fill(record, options, source, done, seconds, waited, validLoss, history, network, skipped, longest,
                                pass);
                        save(new Artifact(network, source.identity(), source.label(), record.deepCopy()), options);
                        listener.message("checkpoint: " + done + " traces, validation loss " + round(validLoss) + ", saved in "
                                + options.out());
                    }
                    if (last) {
                        break;
                    }
                }
                block++;
            }
            simulator.shutdownNow();
            if (wake != null && wakeRuns > 0) {
                record.set("wake", wake(network, pass, wake, wakeRuns, options, listener));
                validLoss = pass.validationLoss(validation);
            }
        } finally {
            simulator.shutdownNow();
            pass.close();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        AddressTable table = network.addresses();
        if (table.refusedChoices() > 0) {
            listener.warning(String.format(java.util.Locale.ROOT, "the network learned its maximum of %d addresses; %d more"
                    + " addresses (%d training choices) were left to the prior and will fall back to it in ic: train again"
                    + " with maxAddresses %d or more", table.capacity(), table.refusedAddresses(), table.refusedChoices(),
                    table.capacity() + table.refusedAddresses()));
        }
        fill(record, options, source, done, seconds, waited, validLoss, history, network, skipped, longest, pass);
        if (record.has("wake")) {
            // The rate of the training runs, over the time they took: the wake phase's runs are its own.
            record.put("traces_per_second", round(done / Math.max(seconds - record.get("wake").get("seconds").asDouble(), 1e-9)));
        }
        Artifact artifact = new Artifact(network, source.identity(), source.label(), record);
        if (options.out() != null) {
            save(artifact, options);
        }
        return artifact;
    }

    /** Runs the wake phase draws in each of its rounds. */
    static final int WAKE_ROUND = 100_000;
    /**
     * The wake phase's learning rate, as a share of the training's initial one: a quarter gave
     * the best proposals on cascade.ppl's calorimeter (docs/benchmarks.md; the whole rate, a
     * half and an eighth did worse or no better).
     */
    static final double WAKE_LEARNING_RATE = 0.25;

    /**
     * The wake phase (the wake update of the proposal in reweighted wake-sleep, Bornschein and
     * Bengio 2015; Le et al. 2019): rounds of {@link #WAKE_ROUND} runs drawn by the network as
     * trained so far at the observation, resampled by their importance weights ({@link
     * #resample}) to as many runs, trained on as any runs. Sleep-phase training learns from the
     * prior's runs, few of which look like the observation's posterior; the wake phase's runs are
     * that posterior (as the weights make them), and the heaviest, the runs the network proposes
     * too rarely, are the ones trained on most.
     */
    private static ObjectNode wake(ProposalNetwork network, Pass pass, WakeSampler sampler, long runs,
            TrainingOptions options, Listener listener) {
        double lr = options.learningRate() * WAKE_LEARNING_RATE;
        ObjectNode r = Artifact.newObject();
        ArrayNode rounds = r.putArray("rounds");
        long start = System.nanoTime();
        long drawn = 0;
        for (int i = 0; drawn < runs; i++) {
            int n = (int) Math.min(WAKE_ROUND, runs - drawn);
            List<WakeSampler.Drawn> draws = sampler.draw(network, n, Streams.seed(options.seed(), 2_000_000L + i));
            drawn += n;
            double[] logWeights = new double[draws.size()];
            for (int j = 0; j < logWeights.length; j++) {
                logWeights[j] = draws.get(j).logWeight();
            }
            double[] weights = Statistics.normalize(logWeights);
            double ess = Statistics.kish(weights);
            if (ess == 0) {
                throw new IllegalArgumentException("the wake phase's round " + (i + 1) + ": all " + n + " runs drawn at the"
                        + " observation have weight zero (the model cannot make it, or the network never proposes where it"
                        + " can): check the observation, or train without a wake phase");
            }
            List<SimulatedRun> kept = new ArrayList<>(n);
            for (int j : resample(weights, n, Streams.seed(options.seed(), 3_000_000L + i))) {
                kept.add(draws.get(j).run());
            }
            double loss = 0;
            int steps = 0;
            for (List<Run> batch : batches(encode(kept, network.layout()), options.batchSize(),
                    Streams.seed(options.seed(), 4_000_000L + i))) {
                double l = pass.step(batch, lr);
                if (!Double.isNaN(l)) {
                    loss += l;
                    steps++;
                }
            }
            ObjectNode o = rounds.addObject();
            o.put("runs", n);
            o.put("kish_ess", round(ess));
            o.put("train_loss", round(loss / Math.max(1, steps)));
            listener.message(String.format(java.util.Locale.ROOT, "wake round %d: %,d runs drawn by the network, Kish ESS %,.0f;"
                    + " trained on them resampled (loss %.3f)", i + 1, n, ess, loss / Math.max(1, steps)));
        }
        r.set("observation", sampler.observationRecord());
        r.put("runs", drawn);
        r.put("learning_rate", lr);
        r.put("seconds", round((System.nanoTime() - start) / 1e9));
        return r;
    }

    /**
     * {@code k} indices drawn by systematic resampling (one uniform under {@code seed}) from runs
     * with these normalised weights (some positive), each first truncated at sqrt(n) times their
     * mean (truncated importance sampling, Ionides 2008): one run of extreme weight is copied at
     * most sqrt(n) k / n times, so it cannot fill the training on its own. Returned in the runs'
     * order.
     */
    static int[] resample(double[] weights, int k, long seed) {
        int n = weights.length;
        double cap = 1 / Math.sqrt(n);
        double[] w = new double[n];
        double total = 0;
        for (int j = 0; j < n; j++) {
            w[j] = Math.min(weights[j], cap);
            total += w[j];
        }
        int[] out = new int[k];
        double u = new Random(seed).nextDouble() * total / k;
        double cumulative = w[0];
        int j = 0;
        for (int m = 0; m < k; m++) {
            double target = u + m * total / k;
            while (j < n - 1 && cumulative <= target) {
                j++;
                cumulative += w[j];
            }
            out[m] = j;
        }
        return out;
    }

    /** What a background task gave; its failure is the training's ({@code doing} names the task for an interruption). */
    private static <T> T await(java.util.concurrent.Future<T> pending, String doing) {
        try {
            return pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + doing, e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException(cause);
        }
    }

    private static void save(Artifact artifact, TrainingOptions options) {
        try {
            artifact.save(options.out());
        } catch (IOException e) {
            throw new UncheckedIOException("could not save the network in " + options.out() + ": " + e.getMessage(), e);
        }
    }

    private static void fill(ObjectNode r, TrainingOptions o, RunSource source, long done, double seconds, long waitedNanos,
            double validLoss, ArrayNode history, ProposalNetwork network, long skippedSteps, int longest, Pass pass) {
        r.put("source", source.describe());
        if (source instanceof FocusedSource focused) {
            r.set("focus", focused.record());
        }
        r.put("traces", done);
        r.put("batch_size", o.batchSize());
        r.put("learning_rate", o.learningRate());
        r.put("schedule", "cosine to 5% of the learning rate");
        r.put("optimizer", "Adam(0.9, 0.999, 1e-8)");
        r.put("validation_size", o.validationSize());
        r.put("seed", o.seed());
        r.put("device", o.device().toString());
        r.put("pass", pass.name());
        r.put("seconds", round(seconds));
        r.put("traces_per_second", round(done / Math.max(seconds, 1e-9)));
        r.put("process_cpu_seconds", round(processCpuSeconds()));
        r.put("waiting_seconds", round(waitedNanos / 1e9));
        r.put("valid_loss", round(validLoss));
        r.put("addresses_learned", network.addresses().size());
        r.put("max_addresses", network.addresses().capacity());
        r.put("addresses_refused", network.addresses().refusedAddresses());
        r.put("choices_refused", network.addresses().refusedChoices());
        r.put("skipped_steps", skippedSteps);
        r.put("longest_run_choices", longest);
        r.set("history", history);
    }

    /**
     * The CPU time this process has used, in seconds (NaN where the JVM does not say): on a shared
     * machine, training's speed is better read against it than against the clock.
     */
    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    private static double round(double x) {
        return Double.isFinite(x) ? Math.round(x * 1e4) / 1e4 : x;
    }

    /** Cosine decay from {@code lr} to 5% of it over the training. */
    static double schedule(double lr, long step, long steps) {
        double progress = Math.min(1, (double) step / Math.max(1, steps));
        return lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /**
     * Which pass trains: {@code auto} (the default), {@code java} or {@code native}, as
     * {@code -Dprobe.training.pass=native} (in {@code PROBE_JAVA_OPTS}) sets it.
     */
    public static final String PASS_PROPERTY = "probe.training.pass";
    /**
     * The widest LSTM the automatic choice trains in Java: up to 128 units the Java pass's step is
     * faster than the native library's (1.3-1.7 times at batch 64, as fast at 128 units and batch
     * 256); from 256 units the native library's matrix products win (docs/benchmarks.md).
     */
    static final int JAVA_PASS_MAX_HIDDEN = 128;

    /** The pass {@link #PASS_PROPERTY} asks for, or the faster one for this network. */
    private static Pass pass(ProposalNetwork network) {
        String asked = System.getProperty(PASS_PROPERTY, "auto");
        switch (asked) {
            case "auto":
                return Backprop.supports(network) && network.config().hidden() <= JAVA_PASS_MAX_HIDDEN ? new JavaPass(network)
                        : new NativePass(network);
            case "java":
                if (!Backprop.supports(network)) {
                    throw new InvalidSettingException(PASS_PROPERTY, "is java, but the Java pass trains networks on the CPU whose"
                            + " observations are all vectors: this one " + (network.device().isGpu() ? "is on a GPU"
                                    : network.layout().entries().stream().anyMatch(e -> e.isImage()) ? "embeds an image"
                                            : "has its parameters on the device already") + "; use auto or native");
                }
                return new JavaPass(network);
            case "native":
                return new NativePass(network);
            default:
                throw new InvalidSettingException(PASS_PROPERTY, "must be auto, java or native, got '" + asked + "'");
        }
    }

    /** How a training computes its loss, gradient and update. */
    private interface Pass {
        /** One optimiser step; returns the batch's loss, or NaN when it was skipped as not finite. */
        double step(List<Run> runs, double lr);

        /** The mean validation loss, in nats per run. */
        double validationLoss(List<Run> validation);

        /** As the training record names it. */
        String name();

        void close();
    }

    /**
     * The Java pass ({@link Backprop}, {@link ArrayAdam}): for networks on the CPU whose
     * observations are vectors, where the native library's calls cost more than their arithmetic.
     */
    private static final class JavaPass implements Pass {
        private final ProposalNetwork network;
        /** One pass per half of a batch. */
        private final Backprop first;
        private final Backprop second;
        private final ArrayAdam adam = new ArrayAdam();
        /**
         * The thread that takes a batch's second half where there is a second core (else the
         * training thread takes both in turn: the same numbers either way).
         */
        private final java.util.concurrent.ExecutorService helper;

        JavaPass(ProposalNetwork network) {
            this.network = network;
            this.first = new Backprop(network);
            this.second = new Backprop(network);
            helper = Runtime.getRuntime().availableProcessors() < 2 ? null
                    : java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "probe-train");
                        t.setDaemon(true);
                        return t;
                    });
        }

        /**
         * The batch in two halves, one per core: the loss and gradient of the whole batch are the
         * halves' averaged by their runs. The training thread and the simulating ones leave a
         * core idle whenever simulation is ahead, which the second half takes. The split is
         * always in two, whatever the cores, so that the weights never depend on them.
         */
        @Override
        public double step(List<Run> runs, double lr) {
            int half = runs.size() / 2;
            // Addresses are learned in the runs' order, as one batch of them all would.
            Batch a = Batch.of(runs.subList(0, half), network, true);
            Batch b = Batch.of(runs.subList(half, runs.size()), network, true);
            if (a.choices() + b.choices() == 0) {
                return 0;
            }
            double la;
            double lb;
            if (half == 0) {
                la = 0;
                lb = second.lossAndGradient(b);
            } else if (helper == null) {
                la = first.lossAndGradient(a);
                lb = second.lossAndGradient(b);
            } else {
                java.util.concurrent.Future<Double> other = helper.submit(() -> second.lossAndGradient(b));
                la = first.lossAndGradient(a);
                lb = await(other, "training");
            }
            double value = (half * la + (runs.size() - half) * lb) / runs.size();
            if (!Double.isFinite(value)) {
                return Double.NaN;
            }
            float wa = (float) half / runs.size();
            float wb = (float) (runs.size() - half) / runs.size();
            Map<String, float[]> gradient = first.gradients();
            for (Map.Entry<String, float[]> e : gradient.entrySet()) {
                float[] ga = e.getValue();
                float[] gb = second.gradients().get(e.getKey());
                if (half == 0) {
                    System.arraycopy(gb, 0, ga, 0, ga.length);
                    continue;
                }
                for (int i = 0; i < ga.length; i++) {
                    ga[i] = wa * ga[i] + wb * gb[i];
                }
            }
            java.util.Set<String> used = new java.util.HashSet<>(network.usedBy(a));
            used.addAll(network.usedBy(b));
            return adam.step(first.weights(), gradient, used, lr) ? value : Double.NaN;
        }

        @Override
        public double validationLoss(List<Run> validation) {
            Batch batch = Batch.of(validation, network, false);
            return batch.choices() == 0 ? Double.NaN : (float) first.loss(batch);
        }

        @Override
        public String name() {
            return "java";
        }

        @Override
        public void close() {
            if (helper != null) {
                helper.shutdownNow();
            }
        }
    }

    /** The native pass: the loss through DJL, its gradient by autograd, {@link Adam} on the device's arrays. */
    private static final class NativePass implements Pass {
        private final ProposalNetwork network;
        private final Adam adam = new Adam();

        NativePass(ProposalNetwork network) {
            this.network = network;
            for (NDArray p : network.parameters().values()) {
                p.setRequiresGradient(true);
            }
        }

        @Override
        public double step(List<Run> runs, double lr) {
            Batch batch = Batch.of(runs, network, true);
            if (batch.choices() == 0) {
                return 0;
            }
            try (NDManager scope = network.manager().newSubManager()) {
                NDArray loss;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    loss = network.loss(batch, scope);
                    gc.backward(loss);
                }
                double value = loss.getFloat();
                if (!Double.isFinite(value)) {
                    adam.discard(network.parameters(), network.usedBy(batch), scope);
                    return Double.NaN;
                }
                return adam.step(network.parameters(), network.usedBy(batch), lr, scope) ? value : Double.NaN;
            }
        }

        @Override
        public double validationLoss(List<Run> validation) {
            return Trainer.validationLoss(network, validation);
        }

        @Override
        public String name() {
            return "native";
        }

        @Override
        public void close() {
            adam.close();
            for (NDArray p : network.parameters().values()) {
                p.setRequiresGradient(false);
            }
        }
    }

    /** The mean validation loss, in nats per run (choices at addresses not yet learned left out). */
    static double validationLoss(ProposalNetwork network, List<Run> validation) {
        Batch batch = Batch.of(validation, network, false);
        if (batch.choices() == 0) {
            return Double.NaN;
        }
        try (NDManager scope = network.manager().newSubManager()) {
            return network.loss(batch, scope).getFloat();
        }
    }

    /**
     * The validation loss address by address: for each address the network has learnt, the weighted
     * mean of -log q over the validation choices at it, in nats per choice, with its standard error.
     */
    public static Map<String, AddressLoss> validationLossByAddress(Artifact artifact, List<SimulatedRun> validation) {
        ProposalNetwork network = artifact.network();
        Batch batch = Batch.of(encode(validation, network.layout()), network, false);
        Map<String, AddressLoss> out = new LinkedHashMap<>();
        if (batch.choices() == 0) {
            return out;
        }
        double[][] terms;
        try (NDManager scope = network.manager().newSubManager()) {
            terms = network.choiceTerms(batch, scope);
        }
        List<AddressTable.Entry> entries = network.addresses().entries();
        Map<Integer, List<double[]>> byRow = new java.util.TreeMap<>();
        for (double[] t : terms) {
            byRow.computeIfAbsent((int) t[0], k -> new ArrayList<>()).add(t);
        }
        for (Map.Entry<Integer, List<double[]>> e : byRow.entrySet()) {
            out.put(entries.get(e.getKey() - 1).key(), AddressLoss.of(e.getValue()));
        }
        return out;
    }

    /**
     * One address's validation loss: {@code loss} the weighted mean of -log q over its {@code choices}
     * (sum w l / sum w), {@code error} its standard error as a ratio estimator (sqrt(sum w^2 (l - loss)^2)
     * / sum w, choices taken as independent), {@code effective} Kish's effective number of choices.
     */
    public record AddressLoss(double loss, double error, int choices, double effective) {

        static AddressLoss of(List<double[]> terms) {
            double sw = 0;
            double swl = 0;
            double sw2 = 0;
            for (double[] t : terms) {
                sw += t[1];
                swl += t[1] * t[2];
                sw2 += t[1] * t[1];
            }
            double mean = swl / sw;
            double var = 0;
            for (double[] t : terms) {
                var += t[1] * t[1] * (t[2] - mean) * (t[2] - mean);
            }
            return new AddressLoss(mean, Math.sqrt(var) / sw, terms.size(), sw * sw / sw2);
        }
    }

    /**
     * Runs cut into batches in a seeded order, whatever their structures: a batch is packed
     * ({@link Batch}), so runs of different lengths and addresses share it without padding.
     */
    static List<List<Run>> batches(List<Run> runs, int size, long seed) {
        List<Run> order = new ArrayList<>(runs);
        Collections.shuffle(order, new Random(seed));
        List<List<Run>> out = new ArrayList<>();
        for (int from = 0; from < order.size(); from += size) {
            out.add(order.subList(from, Math.min(order.size(), from + size)));
        }
        return out;
    }

    static List<Run> encode(List<SimulatedRun> runs, ObservationLayout layout) {
        List<Run> out = new ArrayList<>(runs.size());
        for (SimulatedRun r : runs) {
            Map<String, Object> values = new LinkedHashMap<>(r.observations());
            out.add(new Run(layout.input(values), r.choices(), r.weights()));
        }
        return out;
    }

    /**
     * The observations to embed with a CNN: those named by {@code --image}, and those the model
     * gives a 2-D or 3-D shape whose cells match their length.
     */
    static Map<String, int[]> images(List<SimulatedRun> runs, RunSource source, Map<String, int[]> given) {
        Map<String, int[]> images = new LinkedHashMap<>(given);
        if (runs.isEmpty()) {
            return images;
        }
        for (Map.Entry<String, double[]> e : runs.get(0).observations().entrySet()) {
            int[] shape = images.containsKey(e.getKey()) ? null : source.observationShape(e.getKey());
            if (shape != null && shape.length >= 2 && shape.length <= 3
                    && Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b) == e.getValue().length) {
                images.put(e.getKey(), shape);
            }
        }
        return images;
    }

    /** The observation layout and standardisation, from the validation runs. */
    static ObservationLayout layout(List<SimulatedRun> runs, Map<String, int[]> images) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no runs to learn the observations' layout from");
        }
        Map<String, double[]> first = runs.get(0).observations();
        if (first.isEmpty()) {
            throw new IllegalArgumentException("the model observes nothing by name: a proposal network conditions on named"
                    + " observations (observe(..., \"name\")), so there is nothing to compile");
        }
        for (String name : images.keySet()) {
            if (!first.containsKey(name)) {
                throw new InvalidSettingException("images", "names '" + name + "', which the model does not observe; it observes "
                        + String.join(", ", first.keySet()));
            }
        }
        List<ObservationLayout.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, double[]> e : first.entrySet()) {
            int n = e.getValue().length;
            double[] sum = new double[n];
            double[] sq = new double[n];
            for (SimulatedRun r : runs) {
                double[] v = r.observations().get(e.getKey());
                if (v == null || v.length != n) {
                    throw new IllegalArgumentException("observation '" + e.getKey() + "' has " + n + " elements in one run and "
                            + (v == null ? "is missing" : v.length + " elements") + " in another: a proposal network needs"
                            + " the same observations, of the same size, in every run");
                }
                for (int i = 0; i < n; i++) {
                    sum[i] += v[i];
                    sq[i] += v[i] * v[i];
                }
            }
            double[] mean = new double[n];
            double[] std = new double[n];
            for (int i = 0; i < n; i++) {
                mean[i] = sum[i] / runs.size();
                double var = sq[i] / runs.size() - mean[i] * mean[i];
                std[i] = var > MIN_STD * MIN_STD ? Math.sqrt(var) : 1;
            }
            int[] shape = images.get(e.getKey());
            if (shape != null) {
                long cells = Arrays.stream(shape).asLongStream().reduce(1, (a, b) -> a * b);
                if (shape.length < 2 || shape.length > 3 || cells != n) {
                    throw new InvalidSettingException("images", "gives '" + e.getKey() + "' the shape " + Arrays.toString(shape)
                            + ", which does not fit: the observation has " + n + " elements, and an image has 2 or 3 dimensions"
                            + " whose product is that");
                }
            }
            entries.add(new ObservationLayout.Entry(e.getKey(), shape, mean, std));
        }
        return new ObservationLayout(entries);
    }
}
