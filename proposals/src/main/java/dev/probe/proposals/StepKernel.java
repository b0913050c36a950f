package dev.probe.proposals;

import java.util.EnumMap;
import java.util.Map;

/**
 * The network's inference step in plain Java, for proposals on the CPU: a run's step costs about
 * 70,000 multiply-adds (the recurrent product of a 128-unit LSTM and a head), which Java does in
 * a few microseconds, where a pass through the native library costs tens of microseconds in calls
 * alone, and batching runs to spread that cost makes runs wait for each other.
 *
 * <p>The LSTM's input is a concatenation of embeddings, so its input product is a sum of one
 * product per part; each part depends on a table row alone (the address, the kind, the previous
 * address and kind) or linearly on the previous value, so it is computed once per row here, and a
 * step adds five vectors before its recurrent product. Every row is computed alone, in one fixed
 * order, so a step's result does not depend on which other runs share a pass. It agrees with
 * {@link ProposalNetwork#steps} to float rounding (tested).
 */
final class StepKernel {

    private final int hidden;
    private final int gates;
    /** The observation's share of the input product and the LSTM bias, for an observation embedding. */
    private final float[] observationWeight;
    private final float[] lstmBias;
    private final int observationWidth;
    /** Per address row: its embedding times the current-address and previous-address blocks of the input weights. */
    private final float[][] address;
    private final float[][] previousAddress;
    /** Per kind row, likewise. */
    private final float[][] kind;
    private final float[][] previousKind;
    /** The previous value's share: feature * valueSlope + valueOffset. */
    private final float[] valueSlope;
    private final float[] valueOffset;
    /**
     * The recurrent weights, row by row (H rows of 4H): a row of its own lets the JIT vectorise
     * {@code gates[j] += h[i] * row[j]}, which it does not do with an offset into one flat array.
     */
    private final float[][] recurrent;
    private final Map<Head, float[][]> headWeight = new EnumMap<>(Head.class);
    private final Map<Head, float[]> headBias = new EnumMap<>(Head.class);
    private final Map<Head, Integer> headWidth = new EnumMap<>(Head.class);
    /** The same step in SIMD vectors where the JVM has the Vector API and the sizes fit; else null. */
    private final VectorStep vector;

    /**
     * Whether {@link VectorStep} can be used: the JVM was started with
     * {@code --add-modules jdk.incubator.vector} and {@code -Dprobe.vector-step=false} does not
     * turn it off. Both steps give the same bits.
     */
    static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
            && !"false".equals(System.getProperty("probe.vector-step"));

    /**
     * A head's rows and outputs are padded with zeros to a multiple of 16 floats, so that the
     * head's loop is whole vectors (30 outputs ran as a vector of 16, one of 8 and six single ones).
     */
    private static int padded(int width) {
        return (width + HEAD_PADDING - 1) / HEAD_PADDING * HEAD_PADDING;
    }

    /** The multiple of floats a head's rows and outputs are padded to. */
    static final int HEAD_PADDING = 16;

    StepKernel(ProposalNetwork network) {
        this(network, VECTOR_AVAILABLE);
    }

    /** @param useVector whether to step in SIMD vectors where they fit (only when {@link #VECTOR_AVAILABLE}) */
    StepKernel(ProposalNetwork network, boolean useVector) {
        ProposalNetwork.Config config = network.config();
        Map<String, float[]> w = network.weights();
        hidden = config.hidden();
        gates = 4 * hidden;
        observationWidth = config.observationEmbedding();
        int ea = config.addressEmbedding();
        int ek = config.kindEmbedding();
        int ev = config.valueEmbedding();
        float[] ih = w.get("lstm.ih.weight");
        lstmBias = w.get("lstm.bias");
        observationWeight = java.util.Arrays.copyOfRange(ih, 0, observationWidth * gates);
        int at = observationWidth;
        float[] addressTable = w.get("embed.address");
        float[] kindTable = w.get("embed.kind");
        int rows = network.addresses().size() + 1;
        int kinds = ProposalNetwork.KINDS.size() + 1;
        address = project(addressTable, rows, ea, ih, at);
        at += ea;
        kind = project(kindTable, kinds, ek, ih, at);
        at += ek;
        previousAddress = project(addressTable, rows, ea, ih, at);
        at += ea;
        previousKind = project(kindTable, kinds, ek, ih, at);
        at += ek;
        valueSlope = project(w.get("embed.value.weight"), 1, ev, ih, at)[0];
        valueOffset = project(w.get("embed.value.bias"), 1, ev, ih, at)[0];
        recurrent = rows(w.get("lstm.hh.weight"), hidden, gates);
        for (Head head : Head.values()) {
            int width = head.outputs(config.maxCategories());
            float[][] weight = new float[hidden][];
            float[] flat = w.get(ProposalNetwork.headName(head) + ".weight");
            for (int r = 0; r < hidden; r++) {
                weight[r] = java.util.Arrays.copyOf(java.util.Arrays.copyOfRange(flat, r * width, (r + 1) * width), padded(width));
            }
            headWeight.put(head, weight);
            headBias.put(head, java.util.Arrays.copyOf(w.get(ProposalNetwork.headName(head) + ".bias"), padded(width)));
            headWidth.put(head, width);
        }
        vector = useVector && VECTOR_AVAILABLE ? VectorStep.of(hidden, HEAD_PADDING, address, kind, previousAddress,
                previousKind, valueSlope, valueOffset, recurrent) : null;
    }

    /** Whether this kernel steps in SIMD vectors ({@link VectorStep}). */
    boolean vectorised() {
        return vector != null;
    }

    private static float[][] rows(float[] flat, int n, int width) {
        float[][] out = new float[n][];
        for (int r = 0; r < n; r++) {
            out[r] = java.util.Arrays.copyOfRange(flat, r * width, (r + 1) * width);
        }
        return out;
    }

    /** Rows 0..n-1 of {@code table} (width {@code width}) times rows [from, from + width) of the input weights. */
    private float[][] project(float[] table, int n, int width, float[] ih, int from) {
        float[][] out = new float[n][gates];
        for (int r = 0; r < n; r++) {
            float[] o = out[r];
            for (int k = 0; k < width; k++) {
                float e = table[r * width + k];
                int base = (from + k) * gates;
                for (int j = 0; j < gates; j++) {
                    o[j] += e * ih[base + j];
                }
            }
        }
        return out;
    }

    /** Room for a step's gates. */
    float[] scratch() {
        return new float[gates];
    }

    /** The observation's share of every step's gates (the LSTM bias included), once per inference. */
    float[] observationGates(float[] embedding) {
        float[] g = lstmBias.clone();
        for (int k = 0; k < observationWidth; k++) {
            float e = embedding[k];
            int base = k * gates;
            for (int j = 0; j < gates; j++) {
                g[j] += e * observationWeight[base + j];
            }
        }
        return g;
    }

    /** Room for a step's head outputs for {@code head}: its outputs, then zeros to a multiple of 16. */
    float[] outputs(Head head) {
        return new float[headBias.get(head).length];
    }

    /** The LSTM's units. */
    int hidden() {
        return hidden;
    }

    /**
     * One step of one run: {h, c, head outputs}, each a new array. {@code h} and {@code c} are null
     * at the run's first choice (the state is zero); {@code observationGates} comes from
     * {@link #observationGates}; {@code scratch} holds the gates while the step works (from
     * {@link #scratch}, one per thread at a time: a fresh array each step drew a seventh of the
     * samples of ic on a recursive model, its memory cold in cache).
     */
    float[][] step(float[] observationGates, float[] scratch, float[] h, float[] c, int row, int kindRow, int previousRow,
            int previousKindRow, float previousFeature, Head head) {
        float[] h2 = new float[hidden];
        float[] c2 = new float[hidden];
        float[] out = outputs(head);
        step(observationGates, scratch, h, c, row, kindRow, previousRow, previousKindRow, previousFeature, head, h2, c2, out);
        return new float[][] {h2, c2, java.util.Arrays.copyOf(out, headWidth.get(head))};
    }

    /**
     * The same step into arrays the caller owns: the new state in {@code h2} and {@code c2} (of
     * {@link #hidden} units, neither {@code h} nor {@code c}) and the head's outputs in {@code out}
     * ({@link #outputs}: the outputs, then padding). A run alternates two pairs of state arrays, so that its steps allocate
     * nothing: at the inference's allocation rate new arrays land on memory cold in cache, and
     * they were the step's most sampled lines.
     */
    void step(float[] observationGates, float[] scratch, float[] h, float[] c, int row, int kindRow, int previousRow,
            int previousKindRow, float previousFeature, Head head, float[] h2, float[] c2, float[] out) {
        if (vector != null) {
            vector.step(observationGates, scratch, h, c, row, kindRow, previousRow, previousKindRow, previousFeature,
                    headWeight.get(head), headBias.get(head), h2, c2, out);
            return;
        }
        float[] g = scratch;
        float[] a = address[row];
        float[] k = kind[kindRow];
        float[] pa = previousAddress[previousRow];
        float[] pk = previousKind[previousKindRow];
        for (int j = 0; j < gates; j++) {
            g[j] = observationGates[j] + a[j] + k[j] + pa[j] + pk[j] + (previousFeature * valueSlope[j] + valueOffset[j]);
        }
        if (h != null) {
            // Four rows at a time: the gates are loaded and stored a quarter as often.
            int i = 0;
            for (; i + 4 <= hidden; i += 4) {
                float h0 = h[i];
                float h1 = h[i + 1];
                float h2i = h[i + 2];
                float h3 = h[i + 3];
                float[] w0 = recurrent[i];
                float[] w1 = recurrent[i + 1];
                float[] w2 = recurrent[i + 2];
                float[] w3 = recurrent[i + 3];
                for (int j = 0; j < gates; j++) {
                    g[j] += h0 * w0[j] + h1 * w1[j] + h2i * w2[j] + h3 * w3[j];
                }
            }
            for (; i < hidden; i++) {
                float hi = h[i];
                float[] w = recurrent[i];
                for (int j = 0; j < gates; j++) {
                    g[j] += hi * w[j];
                }
            }
        }
        // The nonlinearities in place, then the cell and the output: each a loop of plain float
        // arithmetic, which the JIT vectorises (a loop calling Math.exp runs one unit at a time).
        sigmoids(g, 0, 2 * hidden);
        tanhs(g, 2 * hidden, 3 * hidden);
        sigmoids(g, 3 * hidden, gates);
        if (c == null) {
            for (int i = 0; i < hidden; i++) {
                c2[i] = g[i] * g[2 * hidden + i];
            }
        } else {
            for (int i = 0; i < hidden; i++) {
                c2[i] = g[i] * g[2 * hidden + i] + g[hidden + i] * c[i];
            }
        }
        for (int i = 0; i < hidden; i++) {
            h2[i] = g[3 * hidden + i] * tanh(c2[i]);
        }
        float[][] weight = headWeight.get(head);
        float[] bias = headBias.get(head);
        System.arraycopy(bias, 0, out, 0, bias.length);
        // Four rows at a time, each output still summed row by row in order (the same bits as
        // one row at a time), its running sum loaded and stored a quarter as often.
        int i = 0;
        for (; i + 4 <= hidden; i += 4) {
            float h0 = h2[i];
            float h1 = h2[i + 1];
            float h2i = h2[i + 2];
            float h3 = h2[i + 3];
            float[] w0 = weight[i];
            float[] w1 = weight[i + 1];
            float[] w2 = weight[i + 2];
            float[] w3 = weight[i + 3];
            for (int j = 0; j < out.length; j++) {
                float o = out[j];
                o += h0 * w0[j];
                o += h1 * w1[j];
                o += h2i * w2[j];
                o += h3 * w3[j];
                out[j] = o;
            }
        }
        for (; i < hidden; i++) {
            float hi = h2[i];
            float[] w = weight[i];
            for (int j = 0; j < out.length; j++) {
                out[j] += hi * w[j];
            }
        }
    }

    static void sigmoids(float[] v, int from, int to) {
        for (int i = from; i < to; i++) {
            v[i] = 0.5f + 0.5f * tanh(0.5f * v[i]);
        }
    }

    static void tanhs(float[] v, int from, int to) {
        for (int i = from; i < to; i++) {
            v[i] = tanh(v[i]);
        }
    }

    /**
     * tanh in float arithmetic alone, so that a loop of it vectorises: x P(x^2) / Q(x^2), the
     * continued fraction {@link #TANH} cut short, with x clamped to [-9, 9] (beyond which tanh
     * rounds to +-1 in float). Within 7 float ulps of tanh (a few in 10^7) everywhere, 0.7 on
     * average; {@code Math.exp} costs more than the rest of a step and does not vectorise.
     */
    static float tanh(float x) {
        float y = Math.max(-TANH_LIMIT, Math.min(TANH_LIMIT, x));
        float t = y * y;
        float p = ((((((P6 * t + P5) * t + P4) * t + P3) * t + P2) * t + P1) * t + P0);
        float q = (((((((Q7 * t + Q6) * t + Q5) * t + Q4) * t + Q3) * t + Q2) * t + Q1) * t + Q0);
        return y * p / q;
    }

    static final float TANH_LIMIT = 9f;
    /**
     * Lambert's continued fraction tanh x = x / (1 + x^2 / (3 + x^2 / (5 + ... / 27))), as
     * polynomials in t = x^2 with integer, positive coefficients (so Horner's rule never cancels),
     * both divided by their constant term: {numerator's coefficients, denominator's}, lowest first.
     * Cut after 27, it is within 3.3e-9 of tanh on [-9, 9] (relative); float rounding does the rest.
     */
    private static final float[][] TANH = lambert(13);
    static final float P0 = TANH[0][0];
    static final float P1 = TANH[0][1];
    static final float P2 = TANH[0][2];
    static final float P3 = TANH[0][3];
    static final float P4 = TANH[0][4];
    static final float P5 = TANH[0][5];
    static final float P6 = TANH[0][6];
    static final float Q0 = TANH[1][0];
    static final float Q1 = TANH[1][1];
    static final float Q2 = TANH[1][2];
    static final float Q3 = TANH[1][3];
    static final float Q4 = TANH[1][4];
    static final float Q5 = TANH[1][5];
    static final float Q6 = TANH[1][6];
    static final float Q7 = TANH[1][7];

    /**
     * The fraction cut after its {@code depth}-th odd number: r_k = (2k + 1) + t / r_(k+1) from
     * r_depth = 2 depth + 1 down to r_0, each kept as a ratio A_k / B_k of integer polynomials;
     * tanh x = x / r_0 = x B_0 / A_0.
     */
    static float[][] lambert(int depth) {
        long[] a = {2L * depth + 1};
        long[] b = {1};
        for (int k = depth - 1; k >= 0; k--) {
            // r_k = ((2k + 1) A + t B) / A
            long[] next = new long[Math.max(a.length, b.length + 1)];
            for (int i = 0; i < a.length; i++) {
                next[i] += (2L * k + 1) * a[i];
            }
            for (int i = 0; i < b.length; i++) {
                next[i + 1] += b[i];
            }
            b = a;
            a = next;
        }
        return new float[][] {scaled(b, a[0]), scaled(a, a[0])};
    }

    private static float[] scaled(long[] coefficients, long by) {
        float[] out = new float[coefficients.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) ((double) coefficients[i] / by);
        }
        return out;
    }
}
