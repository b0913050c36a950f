package dev.probe.planing;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import dev.probe.proposals.Constants;

/**
 * A signal-against-background classifier trained with DJL: logistic regression (no hidden layer)
 * or an MLP with ReLU hidden layers and a logistic output. The loss is the weighted binary cross
 * entropy; Adam steps over seeded shuffles of the training split; after each epoch the weighted
 * validation loss is measured and training stops when it has not improved for {@code patience}
 * epochs, keeping the best weights. Initial weights are Glorot-uniform from the seed, so one seed
 * gives one classifier (PyTorch runs on one thread: Devices.prepare(1) before the engine starts),
 * whatever the garbage collector does meanwhile: the numbers in the recorded arithmetic are
 * {@link Constants}, and the batch arrays stay open until after the backward pass and the Adam step.
 */
final class Classifier {

    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPSILON = 1e-8;

    /** Events of one split: standardised features, classes and weights. */
    record Part(float[][] x, boolean[] signal, double[] weights) {
        int size() {
            return x.length;
        }
    }

    /**
     * A trained classifier's scores on the held-out split.
     *
     * @param scores    the probability of signal for each held-out event
     * @param epochs    epochs trained (including the patience after the best)
     * @param validLoss the best weighted validation loss, nats per event
     */
    record Fit(double[] scores, int epochs, double validLoss) {
    }

    private Classifier() {
    }

    /** Trains on {@code train}, stops early on {@code valid}, and scores {@code test}; no hidden layers is logistic regression. */
    static Fit train(int[] hidden, double rate, Part train, Part valid, Part test, Settings settings, long seed) {
        int inputs = train.x()[0].length;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            List<NDArray> params = initial(manager, inputs, hidden, new SplittableRandom(seed));
            for (NDArray p : params) {
                p.setRequiresGradient(true);
            }
            List<NDArray[]> moments = new ArrayList<>();
            for (NDArray p : params) {
                moments.add(new NDArray[] {p.zerosLike(), p.zerosLike()});
            }
            double scale = meanWeight(train);
            SplittableRandom shuffler = new SplittableRandom(seed ^ 0x5DEECE66DL);
            List<NDArray> best = copies(params);
            double bestLoss = loss(params, valid, manager);
            int sinceBest = 0;
            int epoch = 0;
            long step = 0;
            while (epoch < settings.maxEpochs() && sinceBest < settings.patience()) {
                int[] order = permutation(train.size(), shuffler);
                for (int from = 0; from < order.length; from += settings.batchSize()) {
                    int to = Math.min(order.length, from + settings.batchSize());
                    step++;
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray[] batch = arrays(train, order, from, to, scope, scale);
                        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray loss = weightedLoss(forward(params, batch[0]), batch[1], batch[2]).sum()
                                    .div(Constants.of(scope, to - from));
                            gc.backward(loss);
                        }
                        adam(params, moments, rate, step, scope);
                    }
                }
                epoch++;
                double l = loss(params, valid, manager);
                if (l < bestLoss) {
                    bestLoss = l;
                    sinceBest = 0;
                    best.forEach(NDArray::close);
                    best = copies(params);
                } else {
                    sinceBest++;
                }
            }
            return new Fit(scores(best, test, manager), epoch, bestLoss);
        }
    }

    /** Weights and biases, layer by layer: Glorot-uniform weights, zero biases. */
    private static List<NDArray> initial(NDManager manager, int inputs, int[] hidden, SplittableRandom random) {
        List<NDArray> params = new ArrayList<>();
        int in = inputs;
        for (int layer = 0; layer <= hidden.length; layer++) {
            int out = layer < hidden.length ? hidden[layer] : 1;
            double limit = Math.sqrt(6.0 / (in + out));
            float[] w = new float[in * out];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) ((2 * random.nextDouble() - 1) * limit);
            }
            params.add(manager.create(w, new Shape(in, out)));
            params.add(manager.zeros(new Shape(out)));
            in = out;
        }
        return params;
    }

    /** The logits for inputs {@code x} (N, inputs): (N, 1). Every result lives in x's manager. */
    private static NDArray forward(List<NDArray> params, NDArray x) {
        NDArray zero = Constants.of(x.getManager(), 0);
        NDArray h = x;
        for (int k = 0; k < params.size(); k += 2) {
            h = h.matMul(params.get(k)).add(params.get(k + 1));
            if (k + 2 < params.size()) {
                h = h.maximum(zero);
            }
        }
        return h;
    }

    /**
     * Per-event weighted binary cross entropy from logits z: w (max(z, 0) - z y + log(1 + e^-|z|)).
     * Its numbers are {@link Constants}, as autograd keeps the 0 of the maximum for the backward pass.
     */
    private static NDArray weightedLoss(NDArray z, NDArray y, NDArray w) {
        NDManager m = z.getManager();
        return z.maximum(Constants.of(m, 0)).sub(z.mul(y)).add(z.abs().neg().exp().add(Constants.of(m, 1)).log()).mul(w);
    }

    /** Adam with bias correction; every temporary goes to {@code scope}; gradients are zeroed after. */
    private static void adam(List<NDArray> params, List<NDArray[]> moments, double rate, long step, NDManager scope) {
        double c1 = 1 - Math.pow(BETA1, step);
        double c2 = 1 - Math.pow(BETA2, step);
        for (int k = 0; k < params.size(); k++) {
            NDArray p = params.get(k);
            NDArray g = p.getGradient();
            g.attach(scope);
            NDArray m = moments.get(k)[0];
            NDArray v = moments.get(k)[1];
            m.muli(BETA1).addi(g.mul(1 - BETA1));
            v.muli(BETA2).addi(g.square().muli(1 - BETA2));
            NDArray root = v.sqrt();
            root.attach(scope);
            NDArray update = m.div(root.addi(EPSILON * Math.sqrt(c2)));
            update.attach(scope);
            p.subi(update.muli(rate * Math.sqrt(c2) / c1));
            g.subi(g);
        }
    }

    /** The weighted mean loss over a split, nats per event. */
    private static double loss(List<NDArray> params, Part part, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray[] all = arrays(part, null, 0, part.size(), scope, 1);
            return weightedLoss(forward(params, all[0]), all[1], all[2]).sum().getFloat() / all[2].sum().getFloat();
        }
    }

    private static double[] scores(List<NDArray> params, Part part, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray[] all = arrays(part, null, 0, part.size(), scope, 1);
            float[] z = forward(params, all[0]).toFloatArray();
            double[] s = new double[z.length];
            for (int i = 0; i < z.length; i++) {
                s[i] = 1 / (1 + Math.exp(-z[i]));
            }
            return s;
        }
    }

    /** Features (N, d), labels (N, 1) and weights / scale (N, 1) of events order[from..to) (all in order when null). */
    private static NDArray[] arrays(Part part, int[] order, int from, int to, NDManager scope, double scale) {
        int n = to - from;
        int d = part.x()[0].length;
        float[] x = new float[n * d];
        float[] y = new float[n];
        float[] w = new float[n];
        for (int k = 0; k < n; k++) {
            int i = order == null ? from + k : order[from + k];
            System.arraycopy(part.x()[i], 0, x, k * d, d);
            y[k] = part.signal()[i] ? 1 : 0;
            w[k] = (float) (part.weights()[i] / scale);
        }
        return new NDArray[] {scope.create(x, new Shape(n, d)), scope.create(y, new Shape(n, 1)), scope.create(w, new Shape(n, 1))};
    }

    private static double meanWeight(Part part) {
        double sum = 0;
        for (double w : part.weights()) {
            sum += w;
        }
        return sum / part.size();
    }

    private static List<NDArray> copies(List<NDArray> params) {
        List<NDArray> out = new ArrayList<>();
        for (NDArray p : params) {
            NDArray c = p.duplicate();
            c.setRequiresGradient(false);
            out.add(c);
        }
        return out;
    }

    /** A seeded Fisher-Yates shuffle of 0 .. n-1. */
    static int[] permutation(int n, SplittableRandom random) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
