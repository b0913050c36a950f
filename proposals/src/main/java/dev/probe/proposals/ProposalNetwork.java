package dev.probe.proposals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;

import dev.probe.runtime.distribution.DistributionKind;

/**
 * A proposal network after pyprob's design: an observation embedding (an MLP over vectors, a
 * small CNN per 2-D or 3-D grid), embeddings of the current address, of the previous choice's
 * address, kind and value, and of the distribution kinds; an LSTM core over the sequence of
 * choices; and one output head per {@link Head}, which turns the LSTM state into a proposal with
 * the prior's support.
 *
 * <p>The parameters are plain arrays, driven by hand: the LSTM skips its recurrent product at the
 * first step (the state is zero), and the trainer updates only the parameters a batch used. Every
 * intermediate lives in a manager the caller closes, so memory stays flat however long it runs.
 */
public final class ProposalNetwork implements AutoCloseable {

    /**
     * The sizes of a network.
     *
     * @param observationEmbedding width of the observation embedding
     * @param addressEmbedding     width of an address's embedding
     * @param kindEmbedding        width of a distribution kind's embedding
     * @param valueEmbedding       width of the previous value's embedding
     * @param hidden               the LSTM's hidden units
     * @param maxAddresses         addresses the network can learn
     * @param maxCategories        the most categories the categorical head proposes
     * @param callTree             the call-tree recurrence: a choice's cell state and "previous
     *                             choice" inputs come from its parent in the call tree
     *                             ({@link CallTree}) rather than from the choice made just before
     *                             it; its hidden state is still the one just before
     */
    /** The largest width of any layer or table: an LSTM of this many units already holds 200 million weights. */
    public static final int MAX_SIZE = 1 << 13;

    public record Config(int observationEmbedding, int addressEmbedding, int kindEmbedding, int valueEmbedding, int hidden,
            int maxAddresses, int maxCategories, boolean callTree) {

        /** Sizes with the plain sequence recurrence. */
        public Config(int observationEmbedding, int addressEmbedding, int kindEmbedding, int valueEmbedding, int hidden,
                int maxAddresses, int maxCategories) {
            this(observationEmbedding, addressEmbedding, kindEmbedding, valueEmbedding, hidden, maxAddresses, maxCategories, false);
        }

        public Config {
            int[] all = {observationEmbedding, addressEmbedding, kindEmbedding, valueEmbedding, hidden, maxAddresses,
                maxCategories};
            for (int v : all) {
                if (v <= 0) {
                    throw new IllegalArgumentException("network sizes must be positive, got " + v);
                }
                if (v > MAX_SIZE) {
                    throw new IllegalArgumentException("network sizes must be at most " + MAX_SIZE + " (a layer of " + v
                            + " units would need more memory than training can give), got " + v);
                }
            }
        }

        /**
         * The CPU's sizes: LSTM 128, observation 64, address 16, kind 8, value 4, room for 4,096
         * addresses. Chosen with {@code probe bench --lstm} so that a training step stays within
         * twice the floating-point bound of its matrix products at 1,000 or more runs of 15
         * choices a second on one core (docs/benchmarks.md).
         */
        public static Config defaults() {
            return new Config(64, 16, 8, 4, 128, 4096, 64);
        }

        /** pyprob's sizes: LSTM 512, observation 64, address 64, kind 8, value 4 (for comparisons with it). */
        public static Config pyprob() {
            return new Config(64, 64, 8, 4, 512, 512, 64);
        }

        /** These sizes with another address embedding width. */
        public Config withAddressEmbedding(int width) {
            return new Config(observationEmbedding, width, kindEmbedding, valueEmbedding, hidden, maxAddresses, maxCategories,
                    callTree);
        }

        /** These sizes with another LSTM width. */
        public Config withHidden(int units) {
            return new Config(observationEmbedding, addressEmbedding, kindEmbedding, valueEmbedding, units, maxAddresses,
                    maxCategories, callTree);
        }

        /** These sizes with room for another number of addresses. */
        public Config withMaxAddresses(int n) {
            return new Config(observationEmbedding, addressEmbedding, kindEmbedding, valueEmbedding, hidden, n, maxCategories,
                    callTree);
        }

        /** The recurrences' names, as {@code probe compile --recurrence} and a saved network give them. */
        public static final String SEQUENCE = "sequence";
        public static final String CALL_TREE = "call-tree";
        public static final List<String> RECURRENCES = List.of(SEQUENCE, CALL_TREE);

        /** This network's recurrence, by name ({@link #RECURRENCES}). */
        public String recurrence() {
            return callTree ? CALL_TREE : SEQUENCE;
        }

        /** These sizes with the call-tree recurrence on or off. */
        public Config withCallTree(boolean on) {
            return new Config(observationEmbedding, addressEmbedding, kindEmbedding, valueEmbedding, hidden, maxAddresses,
                    maxCategories, on);
        }
    }

    /**
     * The distribution kinds with an embedding of their own, in the order of the embedding's rows
     * (from 1) that saved networks record; other kinds share row 0.
     */
    static final List<DistributionKind> KINDS = List.of(DistributionKind.NORMAL, DistributionKind.UNIFORM,
            DistributionKind.TRUNCATED_NORMAL, DistributionKind.LOG_NORMAL, DistributionKind.EXPONENTIAL, DistributionKind.GAMMA,
            DistributionKind.BETA, DistributionKind.BERNOULLI, DistributionKind.BINOMIAL, DistributionKind.POISSON,
            DistributionKind.CATEGORICAL, DistributionKind.MIXTURE);

    private static final int CONV1 = 8;
    private static final int CONV2 = 16;
    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
    /** Bounds beyond this many prior standard deviations are as good as infinite (and keep gradients finite). */
    static final double FAR = 50;
    /** The smallest scale a real head proposes, in prior standard deviations. */
    static final double MIN_SCALE = 1e-3;

    private final Config config;
    private final ObservationLayout layout;
    private final AddressTable addresses;
    private final Device device;
    /** The weights as they were given or drawn, by name in order; the parameters are made from them. */
    private final LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, Shape> shapes;
    /**
     * The parameters and their manager, made when first needed: a saved network used only by the
     * Java step on the CPU (inference with an observation vector) never starts the PyTorch engine,
     * whose native library costs about a second of start-up.
     */
    private NDManager manager;
    private final LinkedHashMap<String, NDArray> params = new LinkedHashMap<>();
    private final int inputLength;
    private final int lstmInput;

    private ProposalNetwork(Config config, ObservationLayout layout, AddressTable addresses, Device device,
            Map<String, float[]> weights, long seed) {
        this.config = config;
        this.layout = layout;
        this.addresses = addresses;
        this.device = device;
        int n = 0;
        for (ObservationLayout.Entry e : layout.entries()) {
            n += e.length();
        }
        this.inputLength = n;
        if (n == 0) {
            throw new IllegalArgumentException("the model observes nothing: a proposal network needs observations to condition on");
        }
        this.lstmInput = config.observationEmbedding() + 2 * config.addressEmbedding() + 2 * config.kindEmbedding()
                + config.valueEmbedding();
        this.shapes = shapes();
        Random random = new Random(seed);
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            float[] v;
            if (weights != null) {
                v = weights.get(e.getKey());
                if (v == null || v.length != e.getValue().size()) {
                    throw new IllegalArgumentException("the weights do not fit the network: parameter " + e.getKey()
                            + (v == null ? " is missing" : " has " + v.length + " values, not " + e.getValue().size()));
                }
            } else {
                v = initial(e.getKey(), e.getValue(), random);
            }
            values.put(e.getKey(), v);
        }
        if (weights != null && weights.size() != shapes.size()) {
            Set<String> extra = new HashSet<>(weights.keySet());
            extra.removeAll(shapes.keySet());
            throw new IllegalArgumentException("the weights do not fit the network: unexpected parameters " + extra);
        }
    }

    /** The parameters on the device, made from {@link #values} the first time they are needed. */
    private synchronized LinkedHashMap<String, NDArray> materialise() {
        if (manager == null) {
            NDManager m = NDManager.newBaseManager(device);
            for (Map.Entry<String, float[]> e : values.entrySet()) {
                NDArray p = m.create(e.getValue(), shapes.get(e.getKey()));
                p.setName(e.getKey());
                params.put(e.getKey(), p);
            }
            manager = m;
        }
        return params;
    }

    /**
     * The weights themselves, by name, for a trainer that updates them in place in Java
     * ({@link Backprop}); only while the native parameters are not made, which would not see it.
     */
    Map<String, float[]> liveWeights() {
        if (materialised()) {
            throw new IllegalStateException("the network's parameters are on the device: train them there");
        }
        return java.util.Collections.unmodifiableMap(values);
    }

    /** Whether the parameters live on the device yet (after training, or a native pass). */
    synchronized boolean materialised() {
        return manager != null;
    }

    /** A new network with weights drawn from {@code seed}. */
    public static ProposalNetwork create(Config config, ObservationLayout layout, Device device, long seed) {
        return new ProposalNetwork(config, layout, new AddressTable(config.maxAddresses()), device, null, seed);
    }

    /** A network with the given weights (from a saved artifact). */
    public static ProposalNetwork of(Config config, ObservationLayout layout, AddressTable addresses, Device device,
            Map<String, float[]> weights) {
        return new ProposalNetwork(config, layout, addresses, device, weights, 0);
    }

    public Config config() {
        return config;
    }

    public ObservationLayout layout() {
        return layout;
    }

    public AddressTable addresses() {
        return addresses;
    }

    public Device device() {
        return device;
    }

    /** The manager that owns the parameters; trainers keep their optimiser state under it. */
    public NDManager manager() {
        materialise();
        return manager;
    }

    /** Elements of the observation input. */
    int inputLength() {
        return inputLength;
    }

    /** The parameters by name, in a fixed order. */
    public Map<String, NDArray> parameters() {
        return java.util.Collections.unmodifiableMap(materialise());
    }

    /** Number of scalar weights. */
    public long size() {
        long n = 0;
        for (float[] v : values.values()) {
            n += v.length;
        }
        return n;
    }

    /** The weights as Java arrays, by name, in order. */
    public Map<String, float[]> weights() {
        Map<String, float[]> out = new LinkedHashMap<>();
        if (materialised()) {
            // Training changes the parameters on the device: read them back.
            params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        } else {
            values.forEach((k, v) -> out.put(k, v.clone()));
        }
        return out;
    }

    /** The parameter shapes this configuration and layout call for, in order. */
    Map<String, Shape> shapes() {
        Map<String, Shape> s = new LinkedHashMap<>();
        int in = layout.vectorLength();
        int image = 0;
        for (ObservationLayout.Entry e : layout.entries()) {
            if (!e.isImage()) {
                continue;
            }
            int[] d = e.shape();
            long[] k1 = kernel(CONV1, 1, d.length);
            long[] k2 = kernel(CONV2, CONV1, d.length);
            s.put("obs.image" + image + ".conv1.weight", new Shape(k1));
            s.put("obs.image" + image + ".conv1.bias", new Shape(CONV1));
            s.put("obs.image" + image + ".conv2.weight", new Shape(k2));
            s.put("obs.image" + image + ".conv2.bias", new Shape(CONV2));
            int cells = CONV2;
            for (int x : d) {
                cells *= (x + 1) / 2;
            }
            in += cells;
            image++;
        }
        int eo = config.observationEmbedding();
        s.put("obs.fc1.weight", new Shape(in, eo));
        s.put("obs.fc1.bias", new Shape(eo));
        s.put("obs.fc2.weight", new Shape(eo, eo));
        s.put("obs.fc2.bias", new Shape(eo));
        s.put("embed.address", new Shape(config.maxAddresses() + 1, config.addressEmbedding()));
        s.put("embed.kind", new Shape(KINDS.size() + 1, config.kindEmbedding()));
        s.put("embed.value.weight", new Shape(1, config.valueEmbedding()));
        s.put("embed.value.bias", new Shape(config.valueEmbedding()));
        int h = config.hidden();
        s.put("lstm.ih.weight", new Shape(lstmInput, 4L * h));
        s.put("lstm.hh.weight", new Shape(h, 4L * h));
        s.put("lstm.bias", new Shape(4L * h));
        for (Head head : Head.values()) {
            int out = head.outputs(config.maxCategories());
            s.put(headName(head) + ".weight", new Shape(h, out));
            s.put(headName(head) + ".bias", new Shape(out));
        }
        return s;
    }

    private static long[] kernel(int out, int in, int dims) {
        long[] k = new long[2 + dims];
        k[0] = out;
        k[1] = in;
        Arrays.fill(k, 2, k.length, 3);
        return k;
    }

    static String headName(Head head) {
        return "head." + head.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Initial values: weights N(0, 1/fan-in), embeddings N(0, 1), biases that start the heads near the prior. */
    private float[] initial(String name, Shape shape, Random random) {
        float[] v = new float[(int) shape.size()];
        int h = config.hidden();
        if (name.endsWith(".bias")) {
            if (name.equals("lstm.bias")) {
                Arrays.fill(v, h, 2 * h, 1f); // forget gate open at first
            } else if (name.equals(headName(Head.NORMAL) + ".bias") || name.equals(headName(Head.TRUNCATED) + ".bias")) {
                int k = Head.MIXTURE;
                for (int i = 0; i < k; i++) {
                    v[k + i] = (float) (-1.5 + 3.0 * i / (k - 1)); // components spread over the prior
                }
            }
            return v;
        }
        if (name.startsWith("embed.address") || name.startsWith("embed.kind")) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian();
            }
            return v;
        }
        long fanIn = shape.dimension() == 2 ? shape.get(0) : shape.size() / shape.get(0);
        double std = 1 / Math.sqrt(fanIn);
        if (name.startsWith("head.")) {
            std *= 0.1; // small outputs: every head starts close to its prior-shaped default
        }
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    private NDArray p(String name) {
        return materialise().get(name);
    }

    /** An op's result made from a parameter lands in the parameter's manager: move it to {@code m}. */
    private static NDArray into(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }

    /** The observation embedding of a batch of standardised inputs (B, inputLength). */
    NDArray embedObservations(NDArray input) {
        long b = input.getShape().get(0);
        NDList parts = new NDList();
        int vector = layout.vectorLength();
        if (vector > 0) {
            parts.add(vector == inputLength ? input : input.get(new NDIndex(":, 0:{}", vector)));
        }
        int at = vector;
        int image = 0;
        for (ObservationLayout.Entry e : layout.entries()) {
            if (!e.isImage()) {
                continue;
            }
            long[] dims = new long[2 + e.shape().length];
            dims[0] = b;
            dims[1] = 1;
            for (int i = 0; i < e.shape().length; i++) {
                dims[2 + i] = e.shape()[i];
            }
            NDArray x = input.get(new NDIndex(":, {}:{}", at, at + e.length())).reshape(new Shape(dims));
            String pre = "obs.image" + image + ".";
            x = Activation.relu(conv(x, p(pre + "conv1.weight"), p(pre + "conv1.bias"), 1, e.shape().length));
            x = Activation.relu(conv(x, p(pre + "conv2.weight"), p(pre + "conv2.bias"), 2, e.shape().length));
            parts.add(x.reshape(b, -1));
            at += e.length();
            image++;
        }
        NDArray x = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 1);
        x = Activation.relu(x.matMul(p("obs.fc1.weight")).add(p("obs.fc1.bias")));
        return Activation.relu(x.matMul(p("obs.fc2.weight")).add(p("obs.fc2.bias")));
    }

    private static NDArray conv(NDArray x, NDArray w, NDArray bias, int stride, int dims) {
        if (dims == 2) {
            return Conv2d.conv2d(x, w, bias, new Shape(stride, stride), new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow();
        }
        return Conv3d.conv3d(x, w, bias, new Shape(stride, stride, stride), new Shape(1, 1, 1), new Shape(1, 1, 1), 1)
                .singletonOrThrow();
    }

    /**
     * The LSTM's input rows, already multiplied by its input weights: (n, 4H). Row i takes the
     * observation embedding of row {@code observationRow[i]}, or of row i where that is null. The
     * observation's share of the product is made once per observation row and gathered, since a
     * run's observations are the same at all its steps.
     */
    private NDArray gateInputs(NDArray observations, long[] observationRow, long[] address, long[] kind, long[] previousAddress,
            long[] previousKind, float[] previousFeature, NDManager m) {
        int eo = config.observationEmbedding();
        NDArray w = p("lstm.ih.weight");
        NDArray obs = observations.matMul(into(w.get(new NDIndex("0:{}", eo)), m)).add(p("lstm.bias"));
        if (observationRow != null) {
            obs = obs.get(m.create(observationRow));
        }
        NDArray a = into(p("embed.address").get(m.create(address)), m);
        NDArray k = into(p("embed.kind").get(m.create(kind)), m);
        NDArray pa = into(p("embed.address").get(m.create(previousAddress)), m);
        NDArray pk = into(p("embed.kind").get(m.create(previousKind)), m);
        NDArray v = m.create(previousFeature, new Shape(previousFeature.length, 1)).matMul(p("embed.value.weight"))
                .add(p("embed.value.bias"));
        NDArray x = NDArrays.concat(new NDList(a, k, pa, pk, v), 1);
        return x.matMul(into(w.get(new NDIndex("{}:", eo)), m)).add(obs);
    }

    /** One LSTM step; {@code h} and {@code c} null for the zero initial state. Returns (h, c). */
    private NDList cell(NDArray gates, NDArray h, NDArray c) {
        NDArray g = h == null ? gates : gates.add(h.matMul(p("lstm.hh.weight")));
        NDList q = g.split(4, 1);
        NDArray in = Activation.sigmoid(q.get(0));
        NDArray candidate = Activation.tanh(q.get(2));
        NDArray c2 = c == null ? in.mul(candidate) : Activation.sigmoid(q.get(1)).mul(c).add(in.mul(candidate));
        NDArray h2 = Activation.sigmoid(q.get(3)).mul(Activation.tanh(c2));
        return new NDList(h2, c2);
    }

    private static long[] longs(int[] a) {
        long[] l = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            l[i] = a[i];
        }
        return l;
    }

    /**
     * The mean over the batch's runs of -log q(choices | observations): the training loss, in nats
     * per run. Where runs weigh their choices ({@link Run#weights}) each choice's term is multiplied
     * by its weight (still divided by the number of runs). Its intermediates belong to {@code m}.
     */
    public NDArray loss(Batch batch, NDManager m) {
        NDArray total = null;
        for (Map.Entry<Head, NDArray> e : logProbs(batch, m).entrySet()) {
            NDArray lq = e.getValue();
            if (batch.weighted) {
                lq = lq.mul(m.create(floats(batch.heads.get(e.getKey()).weights)));
            }
            lq = lq.sum();
            total = total == null ? lq : total.add(lq);
        }
        return total.neg().div(Constants.of(m, batch.size));
    }

    /**
     * Each scored choice's term of the loss, for losses per address: rows of {address-table row,
     * weight, -log q(choice | observations, earlier choices)}, head by head.
     */
    public double[][] choiceTerms(Batch batch, NDManager m) {
        double[][] out = new double[batch.choices][];
        int at = 0;
        for (Map.Entry<Head, NDArray> e : logProbs(batch, m).entrySet()) {
            Batch.HeadRows r = batch.heads.get(e.getKey());
            float[] lq = e.getValue().toFloatArray();
            for (int i = 0; i < lq.length; i++) {
                out[at++] = new double[] {batch.address[r.rows.get(i)], r.weights.get(i), -lq[i]};
            }
        }
        return out;
    }

    /** log q of every scored choice, per head, in the order of the head's rows. */
    private Map<Head, NDArray> logProbs(Batch batch, NDManager m) {
        int bsz = batch.size;
        int steps = batch.steps;
        NDArray obs = embedObservations(m.create(batch.observations, new Shape(bsz, inputLength)));
        NDArray gates = gateInputs(obs, batch.rows() == bsz ? null : longs(batch.run), longs(batch.address), longs(batch.kind),
                longs(batch.previousAddress), longs(batch.previousKind), batch.previousFeature, m);
        NDArray h = null;
        NDArray c = null;
        NDList hs = new NDList();
        // With the call-tree recurrence, the cell states so far behind a zero row, to gather parents' from.
        NDList cs = batch.parentRow == null ? null : new NDList(m.zeros(new Shape(1, config.hidden())));
        for (int t = 0; t < steps; t++) {
            int n = batch.alive[t];
            NDArray gt = steps == 1 ? gates : gates.get(new NDIndex("{}:{}", batch.offset[t], batch.offset[t] + n));
            // The runs still going are the first n: their states are a prefix of the last step's.
            if (h != null && h.getShape().get(0) != n) {
                h = h.get(new NDIndex("0:{}", n));
                c = c.get(new NDIndex("0:{}", n));
            }
            if (cs != null && t > 0) {
                c = parentCells(batch, t, c, cs, m);
            }
            NDList hc = cell(gt, h, c);
            h = hc.get(0);
            c = hc.get(1);
            hs.add(h);
            if (cs != null && t < steps - 1) {
                cs.add(c);
            }
        }
        NDArray all = steps == 1 ? h : NDArrays.concat(hs, 0);
        Map<Head, NDArray> out = new java.util.EnumMap<>(Head.class);
        for (Map.Entry<Head, Batch.HeadRows> e : batch.heads.entrySet()) {
            Batch.HeadRows r = e.getValue();
            long[] rows = new long[r.rows.size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = r.rows.get(i);
            }
            NDArray out1 = all.get(m.create(rows)).matMul(p(headName(e.getKey()) + ".weight"))
                    .add(p(headName(e.getKey()) + ".bias"));
            out.put(e.getKey(), HeadMath.logProb(e.getKey(), out1, r.priors, r.values, config.maxCategories(), m));
        }
        return out;
    }

    /**
     * The cell states step {@code t}'s rows continue from under the call-tree recurrence: each
     * row's parent's ({@link Batch#parentRow}), or zeros, gathered from the states of the steps
     * so far ({@code cs}, behind a zero row; one concatenation of them all costs less than growing
     * one array step by step: 5,900 against 4,800 runs a second on cascade.ppl). Where every parent
     * is the same run's row at the step before (choices in one frame), that step's states as they are.
     */
    private static NDArray parentCells(Batch batch, int t, NDArray last, NDList cs, NDManager m) {
        int n = batch.alive[t];
        int from = batch.offset[t];
        int previous = batch.offset[t - 1];
        boolean sequence = true;
        long[] index = new long[n];
        for (int j = 0; j < n; j++) {
            int p = batch.parentRow[from + j];
            sequence &= p == previous + j;
            index[j] = p + 1;
        }
        if (sequence) {
            return last.getShape().get(0) == n ? last : last.get(new NDIndex("0:{}", n));
        }
        // The concatenation is let go at once (the gather's gradient needs only its shape), so a
        // batch holds one step's copy of the states at a time, not one per step.
        NDArray pool = NDArrays.concat(cs, 0);
        NDArray gathered = pool.get(m.create(index));
        pool.close();
        return gathered;
    }

    private static float[] floats(List<Double> values) {
        float[] f = new float[values.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = values.get(i).floatValue();
        }
        return f;
    }

    /** Names of the parameters a batch's loss depends on: only they need an update. */
    public Set<String> usedBy(Batch batch) {
        Set<String> used = new HashSet<>();
        for (String name : values.keySet()) {
            if (name.startsWith("head.")) {
                continue;
            }
            if (name.equals("lstm.hh.weight") && batch.steps < 2) {
                continue;
            }
            if (name.equals("embed.value.weight") && batch.steps < 2) {
                continue;
            }
            used.add(name);
        }
        for (Head head : batch.heads.keySet()) {
            used.add(headName(head) + ".weight");
            used.add(headName(head) + ".bias");
        }
        return used;
    }

    /** The observation embedding of one run's standardised input. */
    public float[] embed(float[] input) {
        if (!materialised() && !device.isGpu() && layout.vectorLength() == inputLength) {
            return embedInJava(input);
        }
        try (NDManager m = manager().newSubManager()) {
            return embedObservations(m.create(input, new Shape(1, inputLength))).toFloatArray();
        }
    }

    /**
     * {@link #embedObservations} for one input without images, in Java: two dense layers with
     * ReLUs, each output a sum in input order as the native product makes it (to float rounding).
     */
    private float[] embedInJava(float[] input) {
        float[] hidden = dense(input, values.get("obs.fc1.weight"), values.get("obs.fc1.bias"));
        return dense(hidden, values.get("obs.fc2.weight"), values.get("obs.fc2.bias"));
    }

    /** relu(x W + b) for W of shape (x.length, b.length), row-major. */
    private static float[] dense(float[] x, float[] w, float[] b) {
        int out = b.length;
        float[] y = new float[out];
        for (int i = 0; i < x.length; i++) {
            float xi = x[i];
            int base = i * out;
            for (int j = 0; j < out; j++) {
                y[j] += xi * w[base + j];
            }
        }
        for (int j = 0; j < out; j++) {
            y[j] = Math.max(0f, y[j] + b[j]);
        }
        return y;
    }

    /**
     * One step of a run, for {@link #steps}.
     *
     * @param observation the run's observation embedding
     * @param h           the LSTM state before the step; null at a run's first choice
     * @param c           the cell state before the step; null with {@code h}
     * @param row         the address's row
     * @param kind        the prior kind's row
     * @param previousRow the previous choice's address row
     * @param previousKind the previous choice's kind row
     * @param previousFeature the previous choice's value feature
     * @param head        the head that proposes the choice
     */
    public record Step(float[] observation, float[] h, float[] c, int row, int kind, int previousRow, int previousKind,
            float previousFeature, Head head) {
    }

    /**
     * Runs' steps in one pass: one matrix product per weight for all of them, which is what makes
     * a step cheap (a single run's step reads every LSTM weight for one row). Either every step is
     * a first one (no state) or none is. Returns, per step, the LSTM state after it and the head's
     * outputs: {h, c, outputs}.
     */
    public float[][][] steps(List<Step> steps) {
        int n = steps.size();
        boolean first = steps.get(0).h() == null;
        int hd = config.hidden();
        int eo = config.observationEmbedding();
        float[] obs = new float[n * eo];
        float[] h = first ? null : new float[n * hd];
        float[] c = first ? null : new float[n * hd];
        long[] row = new long[n];
        long[] kind = new long[n];
        long[] prevRow = new long[n];
        long[] prevKind = new long[n];
        float[] prevFeature = new float[n];
        for (int i = 0; i < n; i++) {
            Step s = steps.get(i);
            System.arraycopy(s.observation(), 0, obs, i * eo, eo);
            if ((s.h() == null) != first) {
                throw new IllegalArgumentException("first and later steps cannot share a pass");
            }
            if (!first) {
                System.arraycopy(s.h(), 0, h, i * hd, hd);
                System.arraycopy(s.c(), 0, c, i * hd, hd);
            }
            row[i] = s.row();
            kind[i] = s.kind();
            prevRow[i] = s.previousRow();
            prevKind[i] = s.previousKind();
            prevFeature[i] = s.previousFeature();
        }
        float[][][] out = new float[n][][];
        try (NDManager m = manager().newSubManager()) {
            NDArray gates = gateInputs(m.create(obs, new Shape(n, eo)), null, row, kind, prevRow, prevKind, prevFeature, m);
            NDList hc = first ? cell(gates, null, null) : cell(gates, m.create(h, new Shape(n, hd)), m.create(c, new Shape(n, hd)));
            float[] hs = hc.get(0).toFloatArray();
            float[] cs = hc.get(1).toFloatArray();
            java.util.Map<Head, List<Integer>> byHead = new java.util.EnumMap<>(Head.class);
            for (int i = 0; i < n; i++) {
                byHead.computeIfAbsent(steps.get(i).head(), k -> new ArrayList<>()).add(i);
                out[i] = new float[][] {Arrays.copyOfRange(hs, i * hd, (i + 1) * hd), Arrays.copyOfRange(cs, i * hd, (i + 1) * hd),
                    null};
            }
            for (Map.Entry<Head, List<Integer>> e : byHead.entrySet()) {
                long[] rows = e.getValue().stream().mapToLong(Integer::longValue).toArray();
                NDArray hr = rows.length == n ? hc.get(0) : hc.get(0).get(m.create(rows));
                NDArray o = hr.matMul(p(headName(e.getKey()) + ".weight")).add(p(headName(e.getKey()) + ".bias"));
                float[] flat = o.toFloatArray();
                int width = e.getKey().outputs(config.maxCategories());
                for (int j = 0; j < rows.length; j++) {
                    out[(int) rows[j]][2] = Arrays.copyOfRange(flat, j * width, (j + 1) * width);
                }
            }
        }
        return out;
    }

    /** The kind's embedding row: 0 for kinds without one. */
    static int kindIndex(String kind) {
        return KIND_ROWS.getOrDefault(kind, 0);
    }

    /** {@link #kindIndex} by label, made once: proposals and training batches look a row up per choice. */
    private static final Map<String, Integer> KIND_ROWS = kindRows();

    private static Map<String, Integer> kindRows() {
        Map<String, Integer> rows = new HashMap<>();
        for (int i = 0; i < KINDS.size(); i++) {
            rows.put(KINDS.get(i).label(), i + 1);
        }
        return rows;
    }

    @Override
    public synchronized void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
