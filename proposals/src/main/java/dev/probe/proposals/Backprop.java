package dev.probe.proposals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.commons.numbers.gamma.Erf;

import dev.probe.runtime.distribution.LogSum;

/**
 * The training loss ({@link ProposalNetwork#loss}) and its gradient in plain Java, for networks on
 * the CPU whose observations are vectors. A network of the sizes inference compilation uses on the
 * CPU (an LSTM of 32-128 units) makes a batch of thousands of tiny array operations, each a call
 * into the native library with its autograd bookkeeping and allocations, which cost more than
 * their arithmetic: here the forward and backward passes are loops over Java arrays, one row at
 * a time, in a fixed order (so the same batch gives the same bits, whatever else runs).
 *
 * <p>It works on the network's own weights ({@link #weights}), which an optimiser updates in
 * place; the network must not have made its native parameters (they would not see the updates).
 * The formulas are {@link HeadMath#logProb}'s and the LSTM's of {@link ProposalNetwork}, with the
 * LSTM's nonlinearities those of the inference step ({@link StepKernel#tanh}); the gradient agrees
 * with autograd's to float rounding (tested). The heads' densities are computed in double where
 * the native pass uses float: the same but where float loses a truncated component's mass
 * altogether (a location more than about four scales beyond a bound, where the native pass takes
 * the mass as 1e-12 and passes no gradient, this pass the true mass). Not thread-safe: one pass
 * at a time.
 */
public final class Backprop {

    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
    private static final double SQRT2 = Math.sqrt(2);
    private static final double INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

    private final ProposalNetwork network;
    private final int hidden;
    private final int gates;
    private final int observationWidth;
    private final int addressWidth;
    private final int kindWidth;
    private final int valueWidth;
    /** The LSTM's input besides the observation: two address embeddings, two kinds, the value's. */
    private final int inputWidth;
    private final int inputLength;
    private final int maxCategories;
    private final Map<String, float[]> weights;
    private final Map<String, float[]> gradients = new LinkedHashMap<>();

    // The weights row by row for the pass (a row of its own lets the JIT vectorise a loop over it),
    // and transposed where the backward pass multiplies by them from the other side.
    private float[][] fc1;
    private float[][] fc2;
    private float[][] fc1T;
    private float[][] fc2T;
    private float[][] ih;
    /** The input weights' columns over the observation's rows. */
    private float[][] ihObservationT;
    /** The address and kind embeddings, each as the current and the previous choice's: tables times their block of the input weights. */
    private final Slot[] slots;
    /** The previous value's share of the gates: feature * valueSlope + valueOffset. */
    private final float[] valueSlope;
    private final float[] valueOffset;
    /** Over the rows, the gates' gradient times the previous value's feature. */
    private final float[] featureGradient;
    private float[][] hh;
    private float[][] hhT;
    private final Map<Head, float[][]> head = new java.util.EnumMap<>(Head.class);
    private final Map<Head, float[][]> headT = new java.util.EnumMap<>(Head.class);

    // Their gradients, row by row; flattened into {@link #gradients} at the end of a pass.
    private float[][] dFc1;
    private float[][] dFc2;
    private float[][] dIh;
    private float[][] dHh;
    private float[][] dAddress;
    private float[][] dKind;
    private final Map<Head, float[][]> dHead = new java.util.EnumMap<>(Head.class);

    // Workspace, grown as batches need: per run, then per row.
    private float[][] input = new float[0][];
    private float[][] hidden1 = new float[0][];
    private float[][] observation = new float[0][];
    private float[][] observationGates = new float[0][];
    private float[][] act = new float[0][];
    private float[][] cell = new float[0][];
    private float[][] tanhCell = new float[0][];
    private float[][] h = new float[0][];
    private float[][] dh = new float[0][];
    private float[][] dc = new float[0][];
    /** The gate pre-activations' gradient, row by row. */
    private float[][] dPre = new float[0][];

    /** A pass over {@code network}'s own weights. */
    public Backprop(ProposalNetwork network) {
        if (!supports(network)) {
            throw new IllegalArgumentException("the Java training pass needs a network on the CPU whose observations are all"
                    + " vectors, with its weights not yet on the device");
        }
        this.network = network;
        ProposalNetwork.Config config = network.config();
        hidden = config.hidden();
        gates = 4 * hidden;
        observationWidth = config.observationEmbedding();
        addressWidth = config.addressEmbedding();
        kindWidth = config.kindEmbedding();
        valueWidth = config.valueEmbedding();
        inputWidth = 2 * addressWidth + 2 * kindWidth + valueWidth;
        inputLength = network.inputLength();
        maxCategories = config.maxCategories();
        weights = network.liveWeights();
        weights.forEach((k, v) -> gradients.put(k, new float[v.length]));
        int addresses = config.maxAddresses() + 1;
        int kinds = ProposalNetwork.KINDS.size() + 1;
        int at = observationWidth;
        slots = new Slot[4];
        slots[0] = new Slot("embed.address", addresses, addressWidth, at, gates);
        at += addressWidth;
        slots[1] = new Slot("embed.kind", kinds, kindWidth, at, gates);
        at += kindWidth;
        slots[2] = new Slot("embed.address", addresses, addressWidth, at, gates);
        at += addressWidth;
        slots[3] = new Slot("embed.kind", kinds, kindWidth, at, gates);
        valueSlope = new float[gates];
        valueOffset = new float[gates];
        featureGradient = new float[gates];
    }

    /**
     * One embedding lookup in the LSTM's input: a table whose row {@code index[i]} fills the
     * input's {@code block} for row i. Its share of the gates is that row times the block's
     * weights, made once per table row a batch uses; its gradient, the rows' gate gradients summed
     * per table row first.
     */
    private static final class Slot {
        final String table;
        final int width;
        final int block;
        final float[][] projection;
        final float[][] sum;
        /** The table rows this batch uses, and a mark per row of the batch that last used it. */
        int[] used = new int[16];
        int count;
        final int[] mark;
        int stamp;

        Slot(String table, int rows, int width, int block, int gates) {
            this.table = table;
            this.width = width;
            this.block = block;
            projection = new float[rows][];
            sum = new float[rows][];
            mark = new int[rows];
        }

        /** Projects the table rows {@code index} names ({@code n} of them) through the block's weights. */
        void project(int[] index, int n, float[] tableValues, float[][] ih, boolean backward) {
            stamp++;
            count = 0;
            for (int i = 0; i < n; i++) {
                int r = index[i];
                if (mark[r] == stamp) {
                    continue;
                }
                mark[r] = stamp;
                if (count == used.length) {
                    used = Arrays.copyOf(used, 2 * count);
                }
                used[count++] = r;
                float[] p = projection[r];
                if (p == null) {
                    p = projection[r] = new float[ih[0].length];
                    sum[r] = new float[p.length];
                } else {
                    Arrays.fill(p, 0f);
                }
                if (backward) {
                    Arrays.fill(sum[r], 0f);
                }
                for (int u = 0; u < width; u++) {
                    axpy(tableValues[r * width + u], ih[block + u], p);
                }
            }
        }

        /** The weights' and the table's gradients from the summed gate gradients. */
        void backward(float[] tableValues, float[][] ih, float[][] dIh, float[][] dTable) {
            for (int c = 0; c < count; c++) {
                int r = used[c];
                float[] s = sum[r];
                float[] d = dTable[r];
                for (int u = 0; u < width; u++) {
                    axpy(tableValues[r * width + u], s, dIh[block + u]);
                    d[u] += dot(s, ih[block + u]);
                }
            }
        }
    }

    /** Whether {@code network} can be trained here: on the CPU, no image observations, native parameters not made. */
    public static boolean supports(ProposalNetwork network) {
        return !network.device().isGpu() && network.layout().vectorLength() == network.inputLength() && !network.materialised();
    }

    /** The network's own weights by name, which an optimiser updates in place between passes. */
    public Map<String, float[]> weights() {
        return weights;
    }

    /** The gradients of the last {@link #lossAndGradient} by name, the weights' shapes (flat). */
    public Map<String, float[]> gradients() {
        return gradients;
    }

    /** The batch's loss (nats per run, as {@link ProposalNetwork#loss}). */
    public double loss(Batch batch) {
        return pass(batch, false);
    }

    /** The batch's loss; its gradient with respect to every weight is left in {@link #gradients}. */
    public double lossAndGradient(Batch batch) {
        return pass(batch, true);
    }

    private double pass(Batch b, boolean backward) {
        if (network.materialised()) {
            throw new IllegalStateException("the network's parameters were made on the device during a Java training: its"
                    + " updates would not reach them");
        }
        load(backward);
        int runs = b.size;
        int n = b.rows();
        input = grow(input, runs, inputLength);
        hidden1 = grow(hidden1, runs, observationWidth);
        observation = grow(observation, runs, observationWidth);
        observationGates = grow(observationGates, runs, gates);
        act = grow(act, n, gates);
        cell = grow(cell, n, hidden);
        tanhCell = grow(tanhCell, n, hidden);
        h = grow(h, n, hidden);
        float[] lstmBias = weights.get("lstm.bias");
        float[] b1 = weights.get("obs.fc1.bias");
        float[] b2 = weights.get("obs.fc2.bias");
        for (int r = 0; r < runs; r++) {
            System.arraycopy(b.observations, r * inputLength, input[r], 0, inputLength);
            dense(input[r], fc1, b1, hidden1[r]);
            dense(hidden1[r], fc2, b2, observation[r]);
            float[] og = observationGates[r];
            System.arraycopy(lstmBias, 0, og, 0, gates);
            float[] o = observation[r];
            gemv(o, ih, observationWidth, og);
        }
        forwardCells(b, backward);
        double total = 0;
        if (backward) {
            dh = grow(dh, n, hidden);
            dc = grow(dc, n, hidden);
            dPre = grow(dPre, n, gates);
            for (int i = 0; i < n; i++) {
                Arrays.fill(dh[i], 0f);
                Arrays.fill(dc[i], 0f);
            }
        }
        for (Map.Entry<Head, Batch.HeadRows> e : b.heads.entrySet()) {
            total += head(e.getKey(), e.getValue(), runs, backward);
        }
        if (backward) {
            backwardCells(b);
            backwardInputs(b);
            flatten();
        }
        return -total / runs;
    }

    /** The LSTM over the packed rows, step by step ({@link Batch}); each row's activations kept for the backward pass. */
    private void forwardCells(Batch b, boolean backward) {
        int n = b.rows();
        int[][] index = {b.address, b.kind, b.previousAddress, b.previousKind};
        for (int i = 0; i < slots.length; i++) {
            slots[i].project(index[i], n, weights.get(slots[i].table), ih, backward);
        }
        float[] valueWeight = weights.get("embed.value.weight");
        float[] valueBias = weights.get("embed.value.bias");
        int valueAt = observationWidth + inputWidth - valueWidth;
        Arrays.fill(valueSlope, 0f);
        Arrays.fill(valueOffset, 0f);
        for (int u = 0; u < valueWidth; u++) {
            axpy(valueWeight[u], ih[valueAt + u], valueSlope);
            axpy(valueBias[u], ih[valueAt + u], valueOffset);
        }
        float[][] p0 = slots[0].projection;
        float[][] p1 = slots[1].projection;
        float[][] p2 = slots[2].projection;
        float[][] p3 = slots[3].projection;
        for (int row = 0; row < n; row++) {
            float[] g = act[row];
            float[] og = observationGates[b.run[row]];
            float[] a = p0[b.address[row]];
            float[] k = p1[b.kind[row]];
            float[] pa = p2[b.previousAddress[row]];
            float[] pk = p3[b.previousKind[row]];
            float feature = b.previousFeature[row];
            for (int q = 0; q < gates; q++) {
                g[q] = og[q] + a[q] + k[q] + pa[q] + pk[q] + feature * valueSlope[q] + valueOffset[q];
            }
        }
        for (int t = 0; t < b.steps; t++) {
            int from = b.offset[t];
            for (int j = 0; j < b.alive[t]; j++) {
                int row = from + j;
                float[] g = act[row];
                if (t > 0) {
                    float[] previous = h[b.offset[t - 1] + j];
                    gemv(previous, hh, hidden, g);
                }
                int source = sourceRow(b, t, j);
                float[] c = cell[row];
                float[] tc = tanhCell[row];
                float[] out = h[row];
                // Whole loops of one nonlinearity, as the inference step has them (they vectorise).
                StepKernel.sigmoids(g, 0, 2 * hidden);
                StepKernel.tanhs(g, 2 * hidden, 3 * hidden);
                StepKernel.sigmoids(g, 3 * hidden, gates);
                if (source < 0) {
                    for (int u = 0; u < hidden; u++) {
                        c[u] = g[u] * g[2 * hidden + u];
                    }
                } else {
                    float[] before = cell[source];
                    for (int u = 0; u < hidden; u++) {
                        c[u] = g[hidden + u] * before[u] + g[u] * g[2 * hidden + u];
                    }
                }
                System.arraycopy(c, 0, tc, 0, hidden);
                StepKernel.tanhs(tc, 0, hidden);
                for (int u = 0; u < hidden; u++) {
                    out[u] = g[3 * hidden + u] * tc[u];
                }
            }
        }
    }

    /**
     * The row whose cell state row {@code j} of step {@code t} continues from, or -1 for the zero
     * state: the same run's previous row, or under the call-tree recurrence its parent's.
     */
    private static int sourceRow(Batch b, int t, int j) {
        if (t == 0) {
            return -1;
        }
        return b.parentRow == null ? b.offset[t - 1] + j : b.parentRow[b.offset[t] + j];
    }

    /** One head's rows: their outputs, log q and (backward) the gradient into the head's weights and the LSTM states. */
    private double head(Head kind, Batch.HeadRows rows, int runs, boolean backward) {
        int width = kind.outputs(maxCategories);
        int padded = padded(width);
        float[][] w = head.get(kind);
        float[] bias = weights.get(ProposalNetwork.headName(kind) + ".bias");
        float[][] wT = headT.get(kind);
        float[][] dW = dHead.get(kind);
        float[] dBias = backward ? gradients.get(ProposalNetwork.headName(kind) + ".bias") : null;
        float[] out = new float[padded];
        float[] dOut = backward ? new float[padded] : null;
        double total = 0;
        for (int i = 0; i < rows.rows.size(); i++) {
            int row = rows.rows.get(i);
            float[] state = h[row];
            System.arraycopy(bias, 0, out, 0, width);
            gemv(state, w, hidden, out);
            double weight = rows.weights.get(i);
            double lq = logProb(kind, out, width, rows.priors.get(i), rows.values.get(i), dOut, -weight / runs);
            total += weight * lq;
            if (backward) {
                ger(state, dOut, dW, hidden);
                axpy(1f, dOut, dBias);
                float[] d = dh[row];
                gemv(dOut, wT, width, d);
            }
        }
        return total;
    }

    /** The LSTM's backward pass, last step first: a row's cell gradient is complete once every later row has added to it. */
    private void backwardCells(Batch b) {
        float[] dBias = gradients.get("lstm.bias");
        for (int t = b.steps - 1; t >= 0; t--) {
            int from = b.offset[t];
            for (int j = 0; j < b.alive[t]; j++) {
                int row = from + j;
                float[] g = act[row];
                float[] dhr = dh[row];
                float[] dcr = dc[row];
                float[] tc = tanhCell[row];
                int source = sourceRow(b, t, j);
                float[] before = source < 0 ? null : cell[source];
                float[] dBefore = source < 0 ? null : dc[source];
                float[] dp = dPre[row];
                for (int u = 0; u < hidden; u++) {
                    float in = g[u];
                    float forget = g[hidden + u];
                    float candidate = g[2 * hidden + u];
                    float exit = g[3 * hidden + u];
                    float dCell = dcr[u] + dhr[u] * exit * (1 - tc[u] * tc[u]);
                    dp[u] = dCell * candidate * in * (1 - in);
                    dp[hidden + u] = before == null ? 0 : dCell * before[u] * forget * (1 - forget);
                    dp[2 * hidden + u] = dCell * in * (1 - candidate * candidate);
                    dp[3 * hidden + u] = dhr[u] * tc[u] * exit * (1 - exit);
                    if (dBefore != null) {
                        dBefore[u] += dCell * forget;
                    }
                }
                if (t > 0) {
                    int previous = b.offset[t - 1] + j;
                    float[] hp = h[previous];
                    ger(hp, dp, dHh, hidden);
                    float[] dPrevious = dh[previous];
                    gemv(dp, hhT, gates, dPrevious);
                }
                axpy(1f, dp, dBias);
            }
        }
    }

    /** From the gate pre-activations' gradient back to the embeddings and the observation network. */
    private void backwardInputs(Batch b) {
        int runs = b.size;
        float[][] dGates = new float[runs][gates];
        float[][] s0 = slots[0].sum;
        float[][] s1 = slots[1].sum;
        float[][] s2 = slots[2].sum;
        float[][] s3 = slots[3].sum;
        Arrays.fill(featureGradient, 0f);
        for (int row = 0; row < b.rows(); row++) {
            float[] dp = dPre[row];
            float[] dg = dGates[b.run[row]];
            float[] a = s0[b.address[row]];
            float[] k = s1[b.kind[row]];
            float[] pa = s2[b.previousAddress[row]];
            float[] pk = s3[b.previousKind[row]];
            float feature = b.previousFeature[row];
            for (int q = 0; q < gates; q++) {
                float d = dp[q];
                dg[q] += d;
                a[q] += d;
                k[q] += d;
                pa[q] += d;
                pk[q] += d;
                featureGradient[q] += feature * d;
            }
        }
        for (Slot slot : slots) {
            slot.backward(weights.get(slot.table), ih, dIh, slot.table.equals("embed.address") ? dAddress : dKind);
        }
        // The value embedding v = feature * weight + bias; its share of the gates' gradient summed over the
        // rows is featureGradient (times the feature) and the bias's gradient (not).
        float[] dBias = gradients.get("lstm.bias");
        float[] valueWeight = weights.get("embed.value.weight");
        float[] valueBias = weights.get("embed.value.bias");
        float[] dValueWeight = gradients.get("embed.value.weight");
        float[] dValueBias = gradients.get("embed.value.bias");
        int valueAt = observationWidth + inputWidth - valueWidth;
        for (int u = 0; u < valueWidth; u++) {
            float[] dw = dIh[valueAt + u];
            axpy(valueWeight[u], featureGradient, dw);
            axpy(valueBias[u], dBias, dw);
            dValueWeight[u] += dot(featureGradient, ih[valueAt + u]);
            dValueBias[u] += dot(dBias, ih[valueAt + u]);
        }
        float[] db1 = gradients.get("obs.fc1.bias");
        float[] db2 = gradients.get("obs.fc2.bias");
        float[] dObservation = new float[observationWidth];
        float[] dHidden = new float[observationWidth];
        for (int r = 0; r < runs; r++) {
            float[] dg = dGates[r];
            float[] o = observation[r];
            ger(o, dg, dIh, observationWidth);
            Arrays.fill(dObservation, 0f);
            gemv(dg, ihObservationT, gates, dObservation);
            for (int k = 0; k < observationWidth; k++) {
                dObservation[k] = o[k] > 0 ? dObservation[k] : 0;
            }
            denseBackward(hidden1[r], dObservation, fc2T, dFc2, db2, dHidden);
            float[] a = hidden1[r];
            for (int k = 0; k < observationWidth; k++) {
                dHidden[k] = a[k] > 0 ? dHidden[k] : 0;
            }
            denseBackward(input[r], dHidden, null, dFc1, db1, null);
        }
    }

    /** y = relu(x W + b), W row by row. */
    private static void dense(float[] x, float[][] w, float[] b, float[] y) {
        System.arraycopy(b, 0, y, 0, b.length);
        gemv(x, w, x.length, y);
        for (int j = 0; j < y.length; j++) {
            y[j] = Math.max(0f, y[j]);
        }
    }

    /** For y = x W + b with dy given: dW += x^T dy, db += dy, and dx = dy W^T (into {@code dx}, when wanted). */
    private static void denseBackward(float[] x, float[] dy, float[][] wT, float[][] dW, float[] db, float[] dx) {
        ger(x, dy, dW, x.length);
        axpy(1f, dy, db);
        if (dx != null) {
            Arrays.fill(dx, 0f);
            gemv(dy, wT, dy.length, dx);
        }
    }

    /**
     * y += sum over k < n of a[k] rows[k], over y's length: four rows a pass (a quarter of the loop
     * overhead and of y's loads and stores; rows of 32 floats are a few vectors each).
     */
    private static void gemv(float[] a, float[][] rows, int n, float[] y) {
        int k = 0;
        for (; k + 3 < n; k += 4) {
            float a0 = a[k];
            float a1 = a[k + 1];
            float a2 = a[k + 2];
            float a3 = a[k + 3];
            float[] r0 = rows[k];
            float[] r1 = rows[k + 1];
            float[] r2 = rows[k + 2];
            float[] r3 = rows[k + 3];
            for (int j = 0; j < y.length; j++) {
                y[j] += a0 * r0[j] + a1 * r1[j] + a2 * r2[j] + a3 * r3[j];
            }
        }
        for (; k < n; k++) {
            axpy(a[k], rows[k], y);
        }
    }

    /** out[k] += a[k] x for k < n (an outer product added), four rows a pass over x's length. */
    private static void ger(float[] a, float[] x, float[][] out, int n) {
        int k = 0;
        for (; k + 3 < n; k += 4) {
            float a0 = a[k];
            float a1 = a[k + 1];
            float a2 = a[k + 2];
            float a3 = a[k + 3];
            float[] o0 = out[k];
            float[] o1 = out[k + 1];
            float[] o2 = out[k + 2];
            float[] o3 = out[k + 3];
            for (int j = 0; j < x.length; j++) {
                float v = x[j];
                o0[j] += a0 * v;
                o1[j] += a1 * v;
                o2[j] += a2 * v;
                o3[j] += a3 * v;
            }
        }
        for (; k < n; k++) {
            axpy(a[k], x, out[k]);
        }
    }

    /** y += a x over y's length. */
    private static void axpy(float a, float[] x, float[] y) {
        if (a == 0) {
            return;
        }
        for (int j = 0; j < y.length; j++) {
            y[j] += a * x[j];
        }
    }

    /** The dot product of x and y over x's length, in double. */
    private static float dot(float[] x, float[] y) {
        double sum = 0;
        for (int j = 0; j < x.length; j++) {
            sum += x[j] * y[j];
        }
        return (float) sum;
    }

    /** The weights row by row (and transposed, and zeroed gradients, for a backward pass). */
    private void load(boolean backward) {
        int in = inputLength;
        fc1 = rows(weights.get("obs.fc1.weight"), in, observationWidth);
        fc2 = rows(weights.get("obs.fc2.weight"), observationWidth, observationWidth);
        ih = rows(weights.get("lstm.ih.weight"), observationWidth + inputWidth, gates);
        hh = rows(weights.get("lstm.hh.weight"), hidden, gates);
        for (Head kind : Head.values()) {
            int width = kind.outputs(maxCategories);
            float[][] w = new float[hidden][padded(width)];
            float[] flat = weights.get(ProposalNetwork.headName(kind) + ".weight");
            for (int k = 0; k < hidden; k++) {
                System.arraycopy(flat, k * width, w[k], 0, width);
            }
            head.put(kind, w);
        }
        if (!backward) {
            return;
        }
        fc2T = transpose(fc2);
        ihObservationT = transpose(Arrays.copyOfRange(ih, 0, observationWidth));
        hhT = transpose(hh);
        for (Head kind : Head.values()) {
            headT.put(kind, transpose(head.get(kind)));
            dHead.put(kind, new float[hidden][padded(kind.outputs(maxCategories))]);
        }
        dFc1 = new float[in][observationWidth];
        dFc2 = new float[observationWidth][observationWidth];
        dIh = new float[observationWidth + inputWidth][gates];
        dHh = new float[hidden][gates];
        dAddress = new float[network.config().maxAddresses() + 1][addressWidth];
        dKind = new float[ProposalNetwork.KINDS.size() + 1][kindWidth];
        for (float[] g : gradients.values()) {
            Arrays.fill(g, 0f);
        }
    }

    /** The row-by-row gradients into their flat arrays (the biases and the value embedding are flat already). */
    private void flatten() {
        flat(dFc1, "obs.fc1.weight");
        flat(dFc2, "obs.fc2.weight");
        flat(dIh, "lstm.ih.weight");
        flat(dHh, "lstm.hh.weight");
        flat(dAddress, "embed.address");
        flat(dKind, "embed.kind");
        for (Head kind : Head.values()) {
            flat(dHead.get(kind), ProposalNetwork.headName(kind) + ".weight", kind.outputs(maxCategories));
        }
    }

    private void flat(float[][] rows, String name) {
        flat(rows, name, rows[0].length);
    }

    /** Rows of at least {@code width} (a head's are padded) into the flat gradient of {@code name}. */
    private void flat(float[][] rows, String name, int width) {
        float[] g = gradients.get(name);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, g, i * width, width);
        }
    }

    /** A head's width rounded up to whole vectors of 8 floats (zeros after), so that its loops have no scalar tail. */
    private static int padded(int width) {
        return (width + 7) / 8 * 8;
    }

    private static float[][] rows(float[] flat, int rows, int width) {
        float[][] out = new float[rows][];
        for (int i = 0; i < rows; i++) {
            out[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        }
        return out;
    }

    private static float[][] transpose(float[][] a) {
        float[][] t = new float[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                t[j][i] = a[i][j];
            }
        }
        return t;
    }

    /** {@code a} with at least {@code n} rows of {@code width}, kept from pass to pass. */
    private static float[][] grow(float[][] a, int n, int width) {
        if (a.length >= n) {
            return a;
        }
        float[][] out = Arrays.copyOf(a, Math.max(n, a.length + a.length / 2));
        for (int i = a.length; i < out.length; i++) {
            out[i] = new float[width];
        }
        return out;
    }

    // ---- the heads' log densities and their gradients ------------------------------------------

    /**
     * log q(value) for a head's outputs {@code out}, as {@link HeadMath#logProb} has it; with
     * {@code dOut}, its gradient with respect to the outputs times {@code scale} is written there.
     */
    static double logProb(Head kind, float[] out, int width, double[] prior, double value, float[] dOut, double scale) {
        switch (kind) {
            case NORMAL:
            case TRUNCATED:
                return real(kind, out, prior, value, dOut, scale);
            case BERNOULLI: {
                double l = (double) out[0] + (float) prior[0];
                if (dOut != null) {
                    dOut[0] = (float) (scale * (value - sigmoid(l)));
                }
                return value * logSigmoid(l) + (1 - value) * logSigmoid(-l);
            }
            case BINOMIAL: {
                double n = (float) prior[0];
                double l = (double) out[0] + (float) prior[1];
                double logC = (float) (Batch.logFactorial(n) - Batch.logFactorial(value) - Batch.logFactorial(n - value));
                if (dOut != null) {
                    dOut[0] = (float) (scale * (value - n * sigmoid(l)));
                }
                return value * logSigmoid(l) + (n - value) * logSigmoid(-l) + logC;
            }
            case CATEGORICAL: {
                double[] logits = new double[width];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < width; j++) {
                    double offset = j < prior.length ? (float) Math.max(prior[j], -1e9) : -1e9f;
                    logits[j] = out[j] + offset;
                    max = Math.max(max, logits[j]);
                }
                double sum = 0;
                for (int j = 0; j < width; j++) {
                    sum += Math.exp(logits[j] - max);
                }
                double lse = max + Math.log(sum);
                int v = (int) value;
                if (dOut != null) {
                    for (int j = 0; j < width; j++) {
                        dOut[j] = (float) (scale * ((j == v ? 1 : 0) - Math.exp(logits[j] - lse)));
                    }
                }
                return logits[v] - lse;
            }
            case POISSON: {
                int k = Head.POISSONS;
                double[] logW = logSoftmax(out, k);
                double logRate = (float) Math.log(prior[0]);
                double logFact = (float) Batch.logFactorial(value);
                double[] comp = new double[k];
                double[] rate = new double[k];
                for (int i = 0; i < k; i++) {
                    double lam = Math.max(-5, Math.min(5, out[k + i])) + logRate;
                    rate[i] = Math.exp(lam);
                    comp[i] = logW[i] + value * lam - rate[i] - logFact;
                }
                double lse = LogSum.of(comp);
                if (dOut != null) {
                    for (int i = 0; i < k; i++) {
                        double responsibility = Math.exp(comp[i] - lse);
                        dOut[i] = (float) (scale * (responsibility - Math.exp(logW[i])));
                        boolean inside = out[k + i] >= -5 && out[k + i] <= 5;
                        dOut[k + i] = inside ? (float) (scale * responsibility * (value - rate[i])) : 0f;
                    }
                }
                return lse;
            }
            default:
                throw new IllegalStateException(kind.toString());
        }
    }

    /** The real heads: mixtures of (truncated) normals in the prior's standardised frame. */
    private static double real(Head kind, float[] out, double[] prior, double value, float[] dOut, double scale) {
        int k = Head.MIXTURE;
        double z = (float) ((value - prior[0]) / prior[1]);
        double logS = (float) Math.log(prior[1]);
        boolean truncated = kind == Head.TRUNCATED;
        double lo = 0;
        double hi = 0;
        boolean finiteLow = false;
        boolean finiteHigh = false;
        if (truncated) {
            double[] bounds = HeadMath.bounds(prior);
            lo = (float) bounds[0];
            hi = (float) bounds[1];
            finiteLow = Double.isFinite(prior[2]);
            finiteHigh = Double.isFinite(prior[3]);
        }
        // The mixture weights' softmax: w = e / sum, log w = out - (max + log sum).
        double[] w = new double[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            max = Math.max(max, out[i]);
        }
        double sumW = 0;
        for (int i = 0; i < k; i++) {
            w[i] = Math.exp(out[i] - max);
            sumW += w[i];
        }
        double logNorm = max + Math.log(sumW);
        double[] comp = new double[k];
        double[] dLoc = new double[k];
        double[] dScale = new double[k];
        double top = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            double raw = out[2 * k + i];
            double e = Math.exp(raw);
            double sigma = softPlus(raw, e) + ProposalNetwork.MIN_SCALE;
            double dSigmaRaw = raw > 20 ? 1 : e / (1 + e);
            double locRaw = out[k + i];
            double loc;
            double dLocRaw;
            if (!truncated) {
                loc = locRaw;
                dLocRaw = 1;
            } else if (finiteLow && finiteHigh) {
                double s = 1 / (1 + Math.exp(-locRaw));
                loc = lo + (hi - lo) * s;
                dLocRaw = (hi - lo) * s * (1 - s);
            } else {
                double el = Math.exp(locRaw);
                double soft = softPlus(locRaw, el);
                double slope = locRaw > 20 ? 1 : el / (1 + el);
                loc = finiteLow ? lo + soft : hi - soft;
                dLocRaw = finiteLow ? slope : -slope;
            }
            double d = (z - loc) / sigma;
            double c = out[i] - logNorm - 0.5 * d * d - Math.log(sigma) - LOG_SQRT_2PI;
            double gLoc = d / sigma;
            double gSigma = (d * d - 1) / sigma;
            if (truncated) {
                double s2 = sigma * SQRT2;
                double beta = (hi - loc) / s2;
                double alpha = (lo - loc) / s2;
                double mass = 0.5 * (erf(beta) - erf(alpha));
                if (mass > 1e-12) {
                    double eb = gauss(beta);
                    double ea = gauss(alpha);
                    c -= Math.log(mass);
                    gLoc -= (ea - eb) * INV_SQRT_PI / s2 / mass;
                    gSigma -= (alpha * ea - beta * eb) * INV_SQRT_PI / sigma / mass;
                } else {
                    c -= Math.log(1e-12);
                }
            }
            comp[i] = c;
            top = Math.max(top, c);
            dLoc[i] = gLoc * dLocRaw;
            dScale[i] = gSigma * dSigmaRaw;
        }
        double sum = 0;
        for (int i = 0; i < k; i++) {
            comp[i] = Math.exp(comp[i] - top);
            sum += comp[i];
        }
        if (dOut != null) {
            for (int i = 0; i < k; i++) {
                double responsibility = comp[i] / sum;
                dOut[i] = (float) (scale * (responsibility - w[i] / sumW));
                dOut[k + i] = (float) (scale * responsibility * dLoc[i]);
                dOut[2 * k + i] = (float) (scale * responsibility * dScale[i]);
            }
        }
        return top + Math.log(sum) - logS;
    }

    /** log(1 + e^x) given e = e^x, as {@link HeadMath#softPlus} has it. */
    private static double softPlus(double x, double e) {
        if (x > 20) {
            return x;
        }
        double u = 1 + e;
        return u == 1 ? e : Math.log(u) * (e / (u - 1));
    }

    /** erf, saturated beyond 6 (where it is 1 to double precision): the far bounds cost nothing. */
    private static double erf(double x) {
        return x > 6 ? 1 : x < -6 ? -1 : Erf.value(x);
    }

    /** e^(-x^2), 0 beyond 27 (where it underflows). */
    private static double gauss(double x) {
        return Math.abs(x) > 27 ? 0 : Math.exp(-x * x);
    }

    private static double[] logSoftmax(float[] out, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            max = Math.max(max, out[i]);
        }
        double sum = 0;
        for (int i = 0; i < k; i++) {
            sum += Math.exp(out[i] - max);
        }
        double log = max + Math.log(sum);
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            w[i] = out[i] - log;
        }
        return w;
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /** log sigmoid(l) = -softplus(-l). */
    private static double logSigmoid(double l) {
        return -HeadMath.softPlus(-l);
    }
}
