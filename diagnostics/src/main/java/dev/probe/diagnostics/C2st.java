package dev.probe.diagnostics;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.probe.proposals.Devices;
import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;

/**
 * The classifier two-sample test as the simulation-based inference benchmark (sbibm, Lueckmann et
 * al. 2021) computes it: both samples z-scored with the first one's mean and standard deviation,
 * a multilayer perceptron with two hidden ReLU layers of width 10 x dimension trained by Adam
 * (scikit-learn's MLPClassifier defaults: learning rate 1e-3, batches of 200, L2 penalty 1e-4, at
 * most 1,000 epochs, stopping when the training loss has not improved by 1e-4 for 10 epochs) to
 * tell them apart, and the mean held-out accuracy over a shuffled 5-fold cross-validation. 0.5
 * means indistinguishable, 1 disjoint. The network trains with DJL on one CPU thread; the
 * parameters live in Java between steps, so the result depends on the seed alone.
 */
public final class C2st {

    /** Folds of the cross-validation. */
    public static final int FOLDS = 5;

    private static final double LEARNING_RATE = 1e-3;
    private static final double L2 = 1e-4;
    private static final int BATCH = 200;
    private static final int MAX_EPOCHS = 1000;
    private static final double TOLERANCE = 1e-4;
    private static final int PATIENCE = 10;

    private C2st() {
    }

    /**
     * The mean held-out accuracy of classifiers telling sample {@code a} from sample {@code b}
     * (rows are draws, columns variables; equally weighted draws).
     */
    public static double accuracy(double[][] a, double[][] b, long seed) {
        int dim = check(a, "first");
        if (check(b, "second") != dim) {
            throw new IllegalArgumentException("the samples have different numbers of variables: " + dim + " and " + b[0].length);
        }
        if (a.length < FOLDS || b.length < FOLDS) {
            throw new IllegalArgumentException("C2ST needs at least " + FOLDS + " draws in each sample");
        }
        int n = a.length + b.length;
        float[][] x = new float[n][dim];
        float[] y = new float[n];
        double[] mean = new double[dim];
        double[] sd = new double[dim];
        for (int d = 0; d < dim; d++) {
            for (double[] row : a) {
                mean[d] += row[d];
            }
            mean[d] /= a.length;
            for (double[] row : a) {
                sd[d] += (row[d] - mean[d]) * (row[d] - mean[d]);
            }
            sd[d] = Math.sqrt(sd[d] / (a.length - 1));
            if (!(sd[d] > 0)) {
                // A constant variable in the first sample: centre it only.
                sd[d] = 1;
            }
        }
        for (int i = 0; i < n; i++) {
            double[] row = i < a.length ? a[i] : b[i - a.length];
            for (int d = 0; d < dim; d++) {
                x[i][d] = (float) ((row[d] - mean[d]) / sd[d]);
            }
            y[i] = i < a.length ? 0 : 1;
        }
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(seed, 0x5DEECE66DL);
        int[] order = permutation(n, rng);
        Devices.prepare(1);
        double total = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int fold = 0; fold < FOLDS; fold++) {
                int from = (int) ((long) n * fold / FOLDS);
                int to = (int) ((long) n * (fold + 1) / FOLDS);
                int[] train = new int[n - (to - from)];
                int[] test = new int[to - from];
                for (int i = 0, t = 0; i < n; i++) {
                    if (i >= from && i < to) {
                        test[i - from] = order[i];
                    } else {
                        train[t++] = order[i];
                    }
                }
                Mlp mlp = new Mlp(dim, 10 * dim, rng);
                mlp.train(x, y, train, rng, manager);
                total += mlp.accuracy(x, y, test, manager);
            }
        }
        return total / FOLDS;
    }

    private static int check(double[][] s, String which) {
        if (s.length == 0 || s[0].length == 0) {
            throw new IllegalArgumentException("the " + which + " sample is empty");
        }
        for (double[] row : s) {
            if (row.length != s[0].length) {
                throw new IllegalArgumentException("the " + which + " sample's draws have different lengths");
            }
            for (double v : row) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("the " + which + " sample holds a value that is not finite: " + v);
                }
            }
        }
        return s[0].length;
    }

    private static int[] permutation(int n, UniformRandomProvider rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** dim -> h -> h -> 1 logit, ReLU between; parameters as float arrays, Adam state beside them. */
    private static final class Mlp {

        private final int[][] shapes;
        private final float[][] params;
        private final double[][] m;
        private final double[][] v;
        private int step;

        Mlp(int dim, int hidden, UniformRandomProvider rng) {
            shapes = new int[][] {{dim, hidden}, {hidden}, {hidden, hidden}, {hidden}, {hidden, 1}, {1}};
            params = new float[shapes.length][];
            m = new double[shapes.length][];
            v = new double[shapes.length][];
            for (int p = 0; p < shapes.length; p++) {
                int size = shapes[p].length == 2 ? shapes[p][0] * shapes[p][1] : shapes[p][0];
                params[p] = new float[size];
                m[p] = new double[size];
                v[p] = new double[size];
                if (shapes[p].length == 2) {
                    // Glorot uniform, as scikit-learn initialises.
                    double bound = Math.sqrt(6.0 / (shapes[p][0] + shapes[p][1]));
                    for (int i = 0; i < size; i++) {
                        params[p][i] = (float) ((2 * rng.nextDouble() - 1) * bound);
                    }
                }
            }
        }

        void train(float[][] x, float[] y, int[] rows, UniformRandomProvider rng, NDManager manager) {
            double best = Double.POSITIVE_INFINITY;
            int stale = 0;
            int batch = Math.min(BATCH, rows.length);
            for (int epoch = 0; epoch < MAX_EPOCHS; epoch++) {
                int[] order = permutation(rows.length, rng);
                double epochLoss = 0;
                for (int start = 0; start < rows.length; start += batch) {
                    int size = Math.min(batch, rows.length - start);
                    int[] pick = new int[size];
                    for (int i = 0; i < size; i++) {
                        pick[i] = rows[order[start + i]];
                    }
                    epochLoss += step(x, y, pick, manager) * size;
                }
                epochLoss /= rows.length;
                // scikit-learn's rule: a "no improvement" epoch fails to beat the best by the tolerance.
                stale = epochLoss > best - TOLERANCE ? stale + 1 : 0;
                best = Math.min(best, epochLoss);
                if (stale > PATIENCE) {
                    return;
                }
            }
        }

        /** One Adam step on a batch; returns its loss. */
        private double step(float[][] x, float[] y, int[] pick, NDManager manager) {
            try (NDManager s = manager.newSubManager()) {
                NDArray[] p = upload(s, true);
                NDArray input = s.create(rows(x, pick));
                NDArray target = s.create(labels(y, pick), new Shape(pick.length, 1));
                double loss;
                float[][] grads = new float[params.length][];
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray z = forward(p, input);
                    // Binary cross-entropy with logits: max(z, 0) - z y + log(1 + exp(-|z|)).
                    NDArray bce = z.maximum(0).sub(z.mul(target)).add(z.abs().neg().exp().add(1).log()).mean();
                    NDArray penalty = p[0].square().sum().add(p[2].square().sum()).add(p[4].square().sum())
                            .mul((float) (0.5 * L2 / pick.length));
                    NDArray objective = bce.add(penalty);
                    gc.backward(objective);
                    loss = objective.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                }
                for (int i = 0; i < params.length; i++) {
                    grads[i] = p[i].getGradient().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
                }
                adam(grads);
                return loss;
            }
        }

        private void adam(float[][] grads) {
            step++;
            double c1 = 1 - Math.pow(0.9, step);
            double c2 = 1 - Math.pow(0.999, step);
            for (int p = 0; p < params.length; p++) {
                for (int i = 0; i < params[p].length; i++) {
                    double g = grads[p][i];
                    m[p][i] = 0.9 * m[p][i] + 0.1 * g;
                    v[p][i] = 0.999 * v[p][i] + 0.001 * g * g;
                    params[p][i] -= (float) (LEARNING_RATE * (m[p][i] / c1) / (Math.sqrt(v[p][i] / c2) + 1e-8));
                }
            }
        }

        double accuracy(float[][] x, float[] y, int[] rows, NDManager manager) {
            try (NDManager s = manager.newSubManager()) {
                NDArray[] p = upload(s, false);
                float[] z = forward(p, s.create(rows(x, rows))).toFloatArray();
                int right = 0;
                for (int i = 0; i < rows.length; i++) {
                    if ((z[i] > 0 ? 1 : 0) == y[rows[i]]) {
                        right++;
                    }
                }
                return (double) right / rows.length;
            }
        }

        private NDArray[] upload(NDManager s, boolean gradients) {
            NDArray[] p = new NDArray[params.length];
            for (int i = 0; i < params.length; i++) {
                long[] dims = new long[shapes[i].length];
                for (int d = 0; d < dims.length; d++) {
                    dims[d] = shapes[i][d];
                }
                p[i] = s.create(params[i], new Shape(dims));
                if (gradients) {
                    p[i].setRequiresGradient(true);
                }
            }
            return p;
        }

        private static NDArray forward(NDArray[] p, NDArray input) {
            NDArray h = input.matMul(p[0]).add(p[1]).maximum(0);
            h = h.matMul(p[2]).add(p[3]).maximum(0);
            return h.matMul(p[4]).add(p[5]);
        }

        private static float[][] rows(float[][] x, int[] pick) {
            float[][] out = new float[pick.length][];
            for (int i = 0; i < pick.length; i++) {
                out[i] = x[pick[i]];
            }
            return out;
        }

        private static float[] labels(float[] y, int[] pick) {
            float[] out = new float[pick.length];
            for (int i = 0; i < pick.length; i++) {
                out[i] = y[pick[i]];
            }
            return out;
        }
    }
}
