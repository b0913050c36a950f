package dev.probe.proposals;

import java.util.ArrayList;
import java.util.List;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

import dev.probe.runtime.distribution.Bernoulli;
import dev.probe.runtime.distribution.Binomial;
import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.Poisson;

/**
 * What each head's outputs mean, twice over: as differentiable log densities for training
 * (float32 arrays, one row per choice) and as the runtime distribution that importance sampling
 * draws from (doubles). The two follow the same formulas; the runtime's exact density is the one
 * importance weights use. The training side writes its numbers as {@link Constants}, which autograd
 * may keep for the backward pass.
 */
final class HeadMath {

    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
    private static final double SQRT2 = Math.sqrt(2);

    private HeadMath() {
    }

    /** log q(value) for each row: {@code out} is (R, width), priors and values one per row. */
    static NDArray logProb(Head head, NDArray out, List<double[]> priors, List<Double> values, int maxCategories, NDManager m) {
        int r = values.size();
        switch (head) {
            case NORMAL:
            case TRUNCATED:
                return real(head, out, priors, values, m);
            case BERNOULLI: {
                NDArray l = out.reshape(r).add(column(priors, 0, m));
                NDArray x = vector(values, m);
                return x.mul(logSigmoid(l)).add(x.neg().add(Constants.of(m, 1)).mul(logSigmoid(l.neg())));
            }
            case CATEGORICAL: {
                float[] offsets = new float[r * maxCategories];
                float[] oneHot = new float[r * maxCategories];
                java.util.Arrays.fill(offsets, -1e9f);
                for (int i = 0; i < r; i++) {
                    double[] lp = priors.get(i);
                    for (int j = 0; j < lp.length; j++) {
                        offsets[i * maxCategories + j] = (float) Math.max(lp[j], -1e9);
                    }
                    oneHot[i * maxCategories + (int) (double) values.get(i)] = 1;
                }
                NDArray logits = out.add(m.create(offsets, new Shape(r, maxCategories)));
                return logits.logSoftmax(1).mul(m.create(oneHot, new Shape(r, maxCategories))).sum(new int[] {1});
            }
            case POISSON: {
                NDList p = out.split(2, 1);
                NDArray logw = p.get(0).logSoftmax(1);
                float[] logRate = new float[r];
                float[] logFact = new float[r];
                for (int i = 0; i < r; i++) {
                    logRate[i] = (float) Math.log(priors.get(i)[0]);
                    logFact[i] = (float) Batch.logFactorial(values.get(i));
                }
                NDArray lam = p.get(1).clip(-5, 5).add(m.create(logRate, new Shape(r, 1)));
                NDArray x = vector(values, m).reshape(r, 1);
                NDArray comp = logw.add(x.mul(lam)).sub(lam.exp()).sub(m.create(logFact, new Shape(r, 1)));
                return logSumExp(comp);
            }
            case BINOMIAL: {
                NDArray l = out.reshape(r).add(column(priors, 1, m));
                float[] n = new float[r];
                float[] logC = new float[r];
                for (int i = 0; i < r; i++) {
                    n[i] = (float) priors.get(i)[0];
                    double k = values.get(i);
                    logC[i] = (float) (Batch.logFactorial(n[i]) - Batch.logFactorial(k) - Batch.logFactorial(n[i] - k));
                }
                NDArray x = vector(values, m);
                NDArray nn = m.create(n);
                return x.mul(logSigmoid(l)).add(nn.sub(x).mul(logSigmoid(l.neg()))).add(m.create(logC));
            }
            default:
                throw new IllegalStateException(head.toString());
        }
    }

    /** The mixtures of (truncated) normals, in the prior's standardised frame. */
    private static NDArray real(Head head, NDArray out, List<double[]> priors, List<Double> values, NDManager m) {
        int r = values.size();
        float[] z = new float[r];
        float[] logS = new float[r];
        float[] lo = new float[r];
        float[] hi = new float[r];
        float[] two = new float[r];
        float[] low = new float[r];
        float[] up = new float[r];
        for (int i = 0; i < r; i++) {
            double[] p = priors.get(i);
            z[i] = (float) ((values.get(i) - p[0]) / p[1]);
            logS[i] = (float) Math.log(p[1]);
            if (head == Head.TRUNCATED) {
                double[] b = bounds(p);
                lo[i] = (float) b[0];
                hi[i] = (float) b[1];
                boolean finiteLow = Double.isFinite(p[2]);
                boolean finiteHigh = Double.isFinite(p[3]);
                two[i] = finiteLow && finiteHigh ? 1 : 0;
                low[i] = finiteLow && !finiteHigh ? 1 : 0;
                up[i] = !finiteLow && finiteHigh ? 1 : 0;
            }
        }
        NDList p = out.split(3, 1);
        NDArray logw = p.get(0).logSoftmax(1);
        NDArray sigma = Activation.softPlus(p.get(2)).add(Constants.of(m, ProposalNetwork.MIN_SCALE));
        NDArray zz = m.create(z, new Shape(r, 1));
        NDArray loc = p.get(1);
        NDArray logZ = null;
        if (head == Head.TRUNCATED) {
            NDArray a = m.create(lo, new Shape(r, 1));
            NDArray b = m.create(hi, new Shape(r, 1));
            NDArray soft = Activation.softPlus(loc);
            loc = m.create(two, new Shape(r, 1)).mul(a.add(b.sub(a).mul(Activation.sigmoid(loc))))
                    .add(m.create(low, new Shape(r, 1)).mul(a.add(soft)))
                    .add(m.create(up, new Shape(r, 1)).mul(b.sub(soft)));
            NDArray s2 = sigma.mul(Constants.of(m, SQRT2));
            logZ = b.sub(loc).div(s2).erf().sub(a.sub(loc).div(s2).erf()).mul(Constants.of(m, 0.5))
                    .maximum(Constants.of(m, 1e-12)).log();
        }
        NDArray d = zz.sub(loc).div(sigma);
        NDArray comp = logw.add(d.square().mul(Constants.of(m, -0.5))).sub(sigma.log()).sub(Constants.of(m, LOG_SQRT_2PI));
        if (logZ != null) {
            comp = comp.sub(logZ);
        }
        return logSumExp(comp).sub(m.create(logS));
    }

    /** A truncated head's bounds in the prior's standardised frame, infinite ones brought in to +-FAR. */
    static double[] bounds(double[] p) {
        double lo = Double.isFinite(p[2]) ? (p[2] - p[0]) / p[1] : -ProposalNetwork.FAR;
        double hi = Double.isFinite(p[3]) ? (p[3] - p[0]) / p[1] : ProposalNetwork.FAR;
        return new double[] {Math.max(lo, -ProposalNetwork.FAR), Math.min(hi, ProposalNetwork.FAR)};
    }

    private static NDArray logSigmoid(NDArray l) {
        return Activation.softPlus(l.neg()).neg();
    }

    /** log sum exp over axis 1 of (R, K), shifted by the (constant) row maximum. */
    static NDArray logSumExp(NDArray t) {
        NDArray max = t.max(new int[] {1}, true).stopGradient();
        return t.sub(max).exp().sum(new int[] {1}).log().add(max.squeeze(1));
    }

    private static NDArray vector(List<Double> values, NDManager m) {
        float[] v = new float[values.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (double) values.get(i);
        }
        return m.create(v);
    }

    private static NDArray column(List<double[]> priors, int index, NDManager m) {
        float[] v = new float[priors.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) priors.get(i)[index];
        }
        return m.create(v);
    }

    // ---- the runtime distributions ------------------------------------------------------------

    /**
     * log(1 + e^x). {@code Math.log1p} is a call into the JDK's native library on JDK 17 (a tenth of
     * an {@code ic} run's samples on a recursive model: ten scales per choice); Kahan's identity
     * log1p(y) = y log(u) / (u - 1), u = 1 + y rounded, gives it to a few ulps from two intrinsics.
     */
    static double softPlus(double x) {
        if (x > 20) {
            return x;
        }
        double y = Math.exp(x);
        double u = 1 + y;
        return u == 1 ? y : Math.log(u) * (y / (u - 1));
    }

    /** A mixture component's scale in the prior's frame. */
    private static double sigma(float out) {
        return softPlus(out) + ProposalNetwork.MIN_SCALE;
    }

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    private static double[] softmax(float[] out, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, out[from + i]);
        }
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = Math.exp(out[from + i] - max);
        }
        return w;
    }

    /**
     * The proposal a head's outputs describe, for a prior with parameters {@code prior} (see
     * {@link Choice}), with every component of the real heads (NORMAL, TRUNCATED) {@code widen}
     * times as wide as the network says (1: as it says); the discrete heads are as they are.
     */
    static Distribution<?> distribution(Head head, double[] prior, float[] out, double widen) {
        switch (head) {
            case NORMAL: {
                int k = Head.MIXTURE;
                double[] w = softmax(out, 0, k);
                double m = prior[0];
                double s = prior[1];
                List<Distribution<Double>> parts = new ArrayList<>(k);
                for (int i = 0; i < k; i++) {
                    parts.add(Normal.of(m + s * out[k + i], widen * s * sigma(out[2 * k + i])));
                }
                return Mixture.of(w, parts);
            }
            case TRUNCATED: {
                int k = Head.MIXTURE;
                double[] w = softmax(out, 0, k);
                double m = prior[0];
                double s = prior[1];
                double[] b = bounds(prior);
                boolean finiteLow = Double.isFinite(prior[2]);
                boolean finiteHigh = Double.isFinite(prior[3]);
                double[] location = new double[k];
                double[] scale = new double[k];
                double[] logW = new double[k];
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < k; i++) {
                    max = Math.max(max, out[i]);
                }
                for (int i = 0; i < k; i++) {
                    logW[i] = out[i] - max; // log w[i], as softmax made w[i]
                    double loc = out[k + i];
                    double z = finiteLow && finiteHigh ? b[0] + (b[1] - b[0]) * sigmoid(loc)
                            : finiteLow ? b[0] + softPlus(loc) : b[1] - softPlus(loc);
                    location[i] = m + s * z;
                    scale[i] = widen * s * sigma(out[2 * k + i]);
                }
                return new TruncatedNormalMixture(w, logW, location, scale, prior[2], prior[3]);
            }
            case BERNOULLI:
                return Bernoulli.of(clamp(sigmoid(out[0] + prior[0])));
            case CATEGORICAL: {
                double[] logits = new double[prior.length];
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = out[i] + prior[i];
                    max = Math.max(max, logits[i]);
                }
                double[] p = new double[logits.length];
                double sum = 0;
                for (int i = 0; i < p.length; i++) {
                    p[i] = Math.exp(logits[i] - max);
                    sum += p[i];
                }
                for (int i = 0; i < p.length; i++) {
                    // Wherever the prior has mass, so does the proposal.
                    p[i] = prior[i] == Double.NEGATIVE_INFINITY ? 0 : Math.max(p[i] / sum, Choice.EDGE);
                }
                return Categorical.of(p);
            }
            case POISSON: {
                int k = Head.POISSONS;
                double[] w = softmax(out, 0, k);
                List<Distribution<Long>> parts = new ArrayList<>(k);
                for (int i = 0; i < k; i++) {
                    double offset = Math.max(-5, Math.min(5, out[k + i]));
                    parts.add(Poisson.of(prior[0] * Math.exp(offset)));
                }
                return Mixture.of(w, parts);
            }
            case BINOMIAL:
                return Binomial.of((long) prior[0], clamp(sigmoid(out[0] + prior[1])));
            default:
                throw new IllegalStateException(head.toString());
        }
    }

    private static double clamp(double p) {
        return Math.min(1 - Choice.EDGE, Math.max(Choice.EDGE, p));
    }
}
