package dev.probe.proposals;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link StepKernel}'s step in explicit SIMD vectors (the JDK's incubating Vector API), for JVMs
 * started with {@code --add-modules jdk.incubator.vector} (the {@code probe} command is). It makes
 * the same floating-point operations in the same order as the scalar step, lane by lane, so its
 * results are the scalar step's to the last bit (tested); what changes is that each block of gates
 * stays in a register while all the recurrent rows are added into it, where the JIT's own
 * vectorisation of the scalar loops loads and stores the gates for every four rows and runs short
 * loops (32 units, a head's 32 outputs) partly one element at a time. About three times faster at
 * 32 units (docs/benchmarks.md).
 *
 * <p>Only touched when {@link #AVAILABLE}: without the module this class cannot load.
 */
final class VectorStep {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private final int hidden;
    private final int gates;
    private final float[][] address;
    private final float[][] kind;
    private final float[][] previousAddress;
    private final float[][] previousKind;
    private final float[] valueSlope;
    private final float[] valueOffset;
    private final float[][] recurrent;

    private VectorStep(int hidden, float[][] address, float[][] kind, float[][] previousAddress, float[][] previousKind,
            float[] valueSlope, float[] valueOffset, float[][] recurrent) {
        this.hidden = hidden;
        this.gates = 4 * hidden;
        this.address = address;
        this.kind = kind;
        this.previousAddress = previousAddress;
        this.previousKind = previousKind;
        this.valueSlope = valueSlope;
        this.valueOffset = valueOffset;
        this.recurrent = recurrent;
    }

    /**
     * The vector step for these weights, or null where the vectors do not divide the LSTM's units
     * (each gate's block must be whole vectors) or the multiple heads' outputs are padded to.
     */
    static VectorStep of(int hidden, int headPadding, float[][] address, float[][] kind, float[][] previousAddress,
            float[][] previousKind, float[] valueSlope, float[] valueOffset, float[][] recurrent) {
        int lanes = SPECIES.length();
        if (lanes < 2 || hidden % lanes != 0 || headPadding % lanes != 0) {
            return null;
        }
        return new VectorStep(hidden, address, kind, previousAddress, previousKind, valueSlope, valueOffset, recurrent);
    }

    /** As {@link StepKernel#step(float[], float[], float[], float[], int, int, int, int, float, Head, float[], float[], float[])}. */
    void step(float[] observationGates, float[] g, float[] h, float[] c, int row, int kindRow, int previousRow,
            int previousKindRow, float previousFeature, float[][] headWeight, float[] headBias, float[] h2, float[] c2,
            float[] out) {
        int lanes = SPECIES.length();
        float[] a = address[row];
        float[] k = kind[kindRow];
        float[] pa = previousAddress[previousRow];
        float[] pk = previousKind[previousKindRow];
        for (int j = 0; j < gates; j += lanes) {
            FloatVector v = FloatVector.fromArray(SPECIES, observationGates, j)
                    .add(FloatVector.fromArray(SPECIES, a, j))
                    .add(FloatVector.fromArray(SPECIES, k, j))
                    .add(FloatVector.fromArray(SPECIES, pa, j))
                    .add(FloatVector.fromArray(SPECIES, pk, j))
                    .add(FloatVector.fromArray(SPECIES, valueSlope, j).mul(previousFeature)
                            .add(FloatVector.fromArray(SPECIES, valueOffset, j)));
            if (h != null) {
                // The scalar step's order: four rows' products summed, then added to the gates.
                int i = 0;
                for (; i + 4 <= hidden; i += 4) {
                    FloatVector four = FloatVector.fromArray(SPECIES, recurrent[i], j).mul(h[i])
                            .add(FloatVector.fromArray(SPECIES, recurrent[i + 1], j).mul(h[i + 1]))
                            .add(FloatVector.fromArray(SPECIES, recurrent[i + 2], j).mul(h[i + 2]))
                            .add(FloatVector.fromArray(SPECIES, recurrent[i + 3], j).mul(h[i + 3]));
                    v = v.add(four);
                }
                for (; i < hidden; i++) {
                    v = v.add(FloatVector.fromArray(SPECIES, recurrent[i], j).mul(h[i]));
                }
            }
            // Input, forget and output gates are sigmoids, 1/2 + tanh(x / 2) / 2; the cell's candidate a tanh.
            boolean candidate = j >= 2 * hidden && j < 3 * hidden;
            v = candidate ? tanh(v) : tanh(v.mul(0.5f)).mul(0.5f).add(0.5f);
            v.intoArray(g, j);
        }
        for (int i = 0; i < hidden; i += lanes) {
            FloatVector in = FloatVector.fromArray(SPECIES, g, i);
            FloatVector candidate = FloatVector.fromArray(SPECIES, g, 2 * hidden + i);
            FloatVector cell = in.mul(candidate);
            if (c != null) {
                cell = cell.add(FloatVector.fromArray(SPECIES, g, hidden + i).mul(FloatVector.fromArray(SPECIES, c, i)));
            }
            cell.intoArray(c2, i);
            FloatVector.fromArray(SPECIES, g, 3 * hidden + i).mul(tanh(cell)).intoArray(h2, i);
        }
        for (int j = 0; j < out.length; j += lanes) {
            FloatVector v = FloatVector.fromArray(SPECIES, headBias, j);
            for (int i = 0; i < hidden; i++) {
                v = v.add(FloatVector.fromArray(SPECIES, headWeight[i], j).mul(h2[i]));
            }
            v.intoArray(out, j);
        }
    }

    /** {@link StepKernel#tanh}, lane by lane, in its order of operations. */
    private static FloatVector tanh(FloatVector x) {
        FloatVector y = x.min(StepKernel.TANH_LIMIT).max(-StepKernel.TANH_LIMIT);
        FloatVector t = y.mul(y);
        FloatVector p = t.mul(StepKernel.P6).add(StepKernel.P5).mul(t).add(StepKernel.P4).mul(t).add(StepKernel.P3).mul(t)
                .add(StepKernel.P2).mul(t).add(StepKernel.P1).mul(t).add(StepKernel.P0);
        FloatVector q = t.mul(StepKernel.Q7).add(StepKernel.Q6).mul(t).add(StepKernel.Q5).mul(t).add(StepKernel.Q4).mul(t)
                .add(StepKernel.Q3).mul(t).add(StepKernel.Q2).mul(t).add(StepKernel.Q1).mul(t).add(StepKernel.Q0);
        return y.mul(p).div(q);
    }
}
