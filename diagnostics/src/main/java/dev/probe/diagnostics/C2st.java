package dev.probe.diagnostics;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.inference.Seeds;

/**
 * The classifier two-sample test as the simulation-based inference benchmark (sbibm, Lueckmann et
 * al. 2021) computes it: both samples z-scored with the first one's mean and standard deviation,
 * a multilayer perceptron with two hidden ReLU layers of width 10 x dimension trained by Adam
 * (scikit-learn's MLPClassifier defaults: Glorot-uniform weights and biases, learning rate 1e-3,
 * batches of 200, L2 penalty 1e-4, stopping when the training loss has not improved by 1e-4 for 10
 * epochs; sbibm's limit of 10,000 epochs) to tell them apart, and the mean held-out accuracy over a
 * shuffled 5-fold cross-validation. 0.5 means indistinguishable, 1 disjoint. The networks train in
 * plain Java (a network this small spends more in a tensor library's calls than in arithmetic),
 * the five folds in parallel, each from its own generator, so the result depends on the seed alone
 * whatever the number of threads.
 */
public final class C2st {

    /** Folds of the cross-validation. */
    public static final int FOLDS = 5;

    private static final double LEARNING_RATE = 1e-3;
    private static final double L2 = 1e-4;
    private static final int BATCH = 200;
    private static final int MAX_EPOCHS = 10_000;
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
        int[] order = permutation(n, Seeds.generator(seed, 0x5DEECE66DL));
        double[] scores = new double[FOLDS];
        java.util.stream.IntStream.range(0, FOLDS).parallel().forEach(fold -> {
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
            UniformRandomProvider rng = Seeds.generator(seed, 0x5DEECE66DL + 1 + fold);
            Mlp mlp = new Mlp(dim, 10 * dim, rng);
            mlp.train(x, y, train, rng);
            scores[fold] = mlp.accuracy(x, y, test);
        });
        double total = 0;
        for (double s : scores) {
            total += s;
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

    /**
     * dim -> h -> h -> 1 logit, ReLU between, in plain Java: the network is so small that a
     * tensor library's cost per operation (a few microseconds each, dozens per step) outweighs its
     * arithmetic many times. Parameters and Adam's moments are doubles; the forward and backward
     * passes are written out, with the loss and gradients DJL computed before. Every inner loop is
     * an update of a whole row ({@code out[j] += a * w[j]}), which the JIT compiles to vector
     * instructions; the backward pass through W2 reads a transposed copy kept after each step so
     * that it is one too, and rows of zero activation (ReLU's) are skipped.
     */
    private static final class Mlp {

        private final int dim;
        private final int hidden;
        /** W1 (dim x h), b1, W2 (h x h), b2, W3 (h x 1), b3: row-major. */
        private final double[][] params;
        private final double[][] m;
        private final double[][] v;
        private int step;
        // Scratch for one batch: activations and their gradients, row-major (row = draw).
        private double[] a1 = new double[0];
        private double[] a2 = new double[0];
        private double[] z = new double[0];
        private double[] d1 = new double[0];
        private double[] d2 = new double[0];
        private final double[][] grads;
        /** W2 transposed (h x h, row j holds W2's column j), refreshed after every step. */
        private final double[] w2t;

        Mlp(int dim, int hidden, UniformRandomProvider rng) {
            this.dim = dim;
            this.hidden = hidden;
            int[][] shapes = {{dim, hidden}, {hidden}, {hidden, hidden}, {hidden}, {hidden, 1}, {1}};
            params = new double[shapes.length][];
            m = new double[shapes.length][];
            v = new double[shapes.length][];
            grads = new double[shapes.length][];
            w2t = new double[hidden * hidden];
            for (int p = 0; p < shapes.length; p++) {
                int size = shapes[p].length == 2 ? shapes[p][0] * shapes[p][1] : shapes[p][0];
                params[p] = new double[size];
                m[p] = new double[size];
                v[p] = new double[size];
                grads[p] = new double[size];
                if (shapes[p].length == 2) {
                    // Glorot uniform for the weights and the next layer's biases, as scikit-learn
                    // initialises: bound sqrt(6 / (fan in + fan out)).
                    double bound = Math.sqrt(6.0 / (shapes[p][0] + shapes[p][1]));
                    for (int i = 0; i < size; i++) {
                        params[p][i] = (2 * rng.nextDouble() - 1) * bound;
                    }
                } else {
                    double bound = Math.sqrt(6.0 / (shapes[p - 1][0] + shapes[p - 1][1]));
                    for (int i = 0; i < size; i++) {
                        params[p][i] = (2 * rng.nextDouble() - 1) * bound;
                    }
                }
            }
            transposeW2();
        }

        private void transposeW2() {
            double[] w2 = params[2];
            for (int k = 0; k < hidden; k++) {
                for (int j = 0; j < hidden; j++) {
                    w2t[j * hidden + k] = w2[k * hidden + j];
                }
            }
        }

        void train(float[][] x, float[] y, int[] rows, UniformRandomProvider rng) {
            double best = Double.POSITIVE_INFINITY;
            int stale = 0;
            int batch = Math.min(BATCH, rows.length);
            int[] pick = new int[batch];
            for (int epoch = 0; epoch < MAX_EPOCHS; epoch++) {
                int[] order = permutation(rows.length, rng);
                double epochLoss = 0;
                for (int start = 0; start < rows.length; start += batch) {
                    int size = Math.min(batch, rows.length - start);
                    for (int i = 0; i < size; i++) {
                        pick[i] = rows[order[start + i]];
                    }
                    epochLoss += step(x, y, pick, size) * size;
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

        /**
         * {@code out[o + j] += sum over t < count of a[t] * w[rows[t] * h + j]}, the terms added one
         * after another in t's order (so each element is the same double as adding them in one loop
         * per term), four terms a pass: each pass reads and writes {@code out} once for four rows of
         * {@code w}, where one loop per term reads and writes it for each.
         */
        private static void accumulate(double[] out, int o, double[] a, int[] rows, int count, double[] w, int h) {
            int t = 0;
            for (; t + 4 <= count; t += 4) {
                double c0 = a[t];
                double c1 = a[t + 1];
                double c2 = a[t + 2];
                double c3 = a[t + 3];
                int w0 = rows[t] * h;
                int w1 = rows[t + 1] * h;
                int w2 = rows[t + 2] * h;
                int w3 = rows[t + 3] * h;
                for (int j = 0; j < h; j++) {
                    double v = out[o + j];
                    v += c0 * w[w0 + j];
                    v += c1 * w[w1 + j];
                    v += c2 * w[w2 + j];
                    v += c3 * w[w3 + j];
                    out[o + j] = v;
                }
            }
            for (; t < count; t++) {
                double c = a[t];
                int wo = rows[t] * h;
                for (int j = 0; j < h; j++) {
                    out[o + j] += c * w[wo + j];
                }
            }
        }

        /** Scratch for {@link #accumulate}: the nonzero terms' factors and rows. */
        private double[] factors = new double[0];
        private int[] rowsOf = new int[0];

        private void scratch(int n) {
            if (factors.length < n) {
                factors = new double[n];
                rowsOf = new int[n];
            }
        }

        /** The logits of the first {@code size} rows of {@code pick}, keeping the activations. */
        private void forward(float[][] x, int[] pick, int size) {
            int h = hidden;
            if (a1.length < size * h) {
                a1 = new double[size * h];
                a2 = new double[size * h];
                d1 = new double[size * h];
                d2 = new double[size * h];
                z = new double[size];
            }
            scratch(Math.max(h, dim));
            double[] w1 = params[0];
            double[] b1 = params[1];
            double[] w2 = params[2];
            double[] b2 = params[3];
            double[] w3 = params[4];
            for (int r = 0; r < size; r++) {
                float[] in = x[pick[r]];
                int o = r * h;
                System.arraycopy(b1, 0, a1, o, h);
                for (int d = 0; d < dim; d++) {
                    factors[d] = in[d];
                    rowsOf[d] = d;
                }
                accumulate(a1, o, factors, rowsOf, dim, w1, h);
                for (int j = 0; j < h; j++) {
                    a1[o + j] = Math.max(a1[o + j], 0);
                }
                System.arraycopy(b2, 0, a2, o, h);
                // The second layer over the first's nonzero activations only (ReLU's zeros add nothing).
                int count = 0;
                for (int k = 0; k < h; k++) {
                    double ak = a1[o + k];
                    if (ak != 0) {
                        factors[count] = ak;
                        rowsOf[count++] = k;
                    }
                }
                accumulate(a2, o, factors, rowsOf, count, w2, h);
                double logit = params[5][0];
                for (int j = 0; j < h; j++) {
                    a2[o + j] = Math.max(a2[o + j], 0);
                    logit += a2[o + j] * w3[j];
                }
                z[r] = logit;
            }
        }

        /**
         * One Adam step on a batch; returns its loss (binary cross-entropy plus the L2 penalty). Each
         * gradient element sums the batch's rows in their order, as one pass per row would; the
         * weight gradients are summed a layer at a time after every row's deltas are known, four
         * rows a pass ({@link #accumulate}).
         */
        private double step(float[][] x, float[] y, int[] pick, int size) {
            forward(x, pick, size);
            int h = hidden;
            double penalty = 0;
            for (int p = 0; p < 6; p += 2) {
                for (double w : params[p]) {
                    penalty += w * w;
                }
            }
            double l2 = L2 / size;
            double loss = 0.5 * l2 * penalty;
            for (double[] g : grads) {
                java.util.Arrays.fill(g, 0);
            }
            scratch(Math.max(h, size));
            double[] w3 = params[4];
            for (int r = 0; r < size; r++) {
                double zr = z[r];
                double t = y[pick[r]];
                // max(z, 0) - z t + log(1 + exp(-|z|)), and its derivative sigmoid(z) - t.
                loss += (Math.max(zr, 0) - zr * t + Math.log1p(Math.exp(-Math.abs(zr)))) / size;
                double dz = (1 / (1 + Math.exp(-zr)) - t) / size;
                int o = r * h;
                grads[5][0] += dz;
                for (int j = 0; j < h; j++) {
                    grads[4][j] += a2[o + j] * dz;
                    d2[o + j] = a2[o + j] > 0 ? dz * w3[j] : 0;
                }
                // d1 = W2 d2 (through the transposed copy, over d2's nonzero entries), then ReLU's mask.
                java.util.Arrays.fill(d1, o, o + h, 0);
                int count = 0;
                for (int j = 0; j < h; j++) {
                    double dj = d2[o + j];
                    if (dj != 0) {
                        factors[count] = dj;
                        rowsOf[count++] = j;
                    }
                }
                accumulate(d1, o, factors, rowsOf, count, w2t, h);
                for (int k = 0; k < h; k++) {
                    if (!(a1[o + k] > 0)) {
                        d1[o + k] = 0;
                    }
                }
                for (int j = 0; j < h; j++) {
                    grads[3][j] += d2[o + j];
                    grads[1][j] += d1[o + j];
                }
            }
            // dW2 row k = sum over the rows whose activation k is positive of a1[r][k] d2[r], in row order.
            for (int k = 0; k < h; k++) {
                int count = 0;
                for (int r = 0; r < size; r++) {
                    double ak = a1[r * h + k];
                    if (ak > 0) {
                        factors[count] = ak;
                        rowsOf[count++] = r;
                    }
                }
                accumulate(grads[2], k * h, factors, rowsOf, count, d2, h);
            }
            // dW1 row d = sum over the rows of x[r][d] d1[r], in row order.
            for (int d = 0; d < dim; d++) {
                for (int r = 0; r < size; r++) {
                    factors[r] = x[pick[r]][d];
                    rowsOf[r] = r;
                }
                accumulate(grads[0], d * h, factors, rowsOf, size, d1, h);
            }
            for (int p = 0; p < 6; p += 2) {
                for (int i = 0; i < params[p].length; i++) {
                    grads[p][i] += l2 * params[p][i];
                }
            }
            adam();
            transposeW2();
            return loss;
        }

        private void adam() {
            step++;
            double c1 = 1 - Math.pow(0.9, step);
            double c2 = 1 - Math.pow(0.999, step);
            for (int p = 0; p < params.length; p++) {
                for (int i = 0; i < params[p].length; i++) {
                    double g = grads[p][i];
                    m[p][i] = 0.9 * m[p][i] + 0.1 * g;
                    v[p][i] = 0.999 * v[p][i] + 0.001 * g * g;
                    params[p][i] -= LEARNING_RATE * (m[p][i] / c1) / (Math.sqrt(v[p][i] / c2) + 1e-8);
                }
            }
        }

        double accuracy(float[][] x, float[] y, int[] rows) {
            forward(x, rows, rows.length);
            int right = 0;
            for (int i = 0; i < rows.length; i++) {
                if ((z[i] > 0 ? 1 : 0) == y[rows[i]]) {
                    right++;
                }
            }
            return (double) right / rows.length;
        }
    }
}
