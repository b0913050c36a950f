package dev.probe.tests;

import java.util.List;

import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.commons.statistics.distribution.PoissonDistribution;

/** Exact posteriors of the built-in models, computed independently of the engines. */
final class Exact {

    private Exact() {
    }

    /** A posterior summary: mean and standard deviation. */
    record Moments(double mean, double stddev) {
    }

    /** Normal-normal conjugacy: prior N(m, s), observations N(mu, noise). */
    static Moments normalMean(double priorMean, double priorSd, double noiseSd, double... obs) {
        double precision = 1 / (priorSd * priorSd) + obs.length / (noiseSd * noiseSd);
        double sum = 0;
        for (double y : obs) {
            sum += y;
        }
        double mean = (priorMean / (priorSd * priorSd) + sum / (noiseSd * noiseSd)) / precision;
        return new Moments(mean, Math.sqrt(1 / precision));
    }

    /** The log marginal likelihood of the Gaussian model's observations, by sequential prediction. */
    static double normalLogEvidence(double priorMean, double priorSd, double noiseSd, double... obs) {
        double m = priorMean;
        double v = priorSd * priorSd;
        double logZ = 0;
        for (double y : obs) {
            logZ += NormalDistribution.of(m, Math.sqrt(v + noiseSd * noiseSd)).logDensity(y);
            double precision = 1 / v + 1 / (noiseSd * noiseSd);
            m = (m / v + y / (noiseSd * noiseSd)) / precision;
            v = 1 / precision;
        }
        return logZ;
    }

    /** Beta-Bernoulli: the posterior Beta(a + heads, b + tails). */
    static Moments betaBernoulli(double a, double b, List<Integer> flips) {
        int heads = 0;
        for (int f : flips) {
            heads += f;
        }
        double pa = a + heads;
        double pb = b + flips.size() - heads;
        double s = pa + pb;
        return new Moments(pa / s, Math.sqrt(pa * pb / (s * s * (s + 1))));
    }

    /** Gamma-Poisson: the posterior Gamma(shape + sum, rate + n). */
    static Moments gammaPoisson(double shape, double rate, List<Integer> counts) {
        double sum = 0;
        for (int c : counts) {
            sum += c;
        }
        double ps = shape + sum;
        double pr = rate + counts.size();
        return new Moments(ps / pr, Math.sqrt(ps) / pr);
    }

    /** fib as the branching model defines it: fib(0) = fib(1) = 1. */
    static long fib(int n) {
        long a = 1;
        long b = 1;
        for (int i = 1; i < n; i++) {
            long t = a + b;
            a = b;
            b = t;
        }
        return b;
    }

    /**
     * The branching model's posterior pmf of r given obs, by enumeration: r up to 60 (Poisson(4)
     * mass beyond is below 1e-40) and the inner Poisson(4) draw up to 80.
     */
    static double[] branchingPosterior(long obs) {
        PoissonDistribution prior = PoissonDistribution.of(4);
        double[] joint = new double[61];
        double total = 0;
        for (int r = 0; r <= 60; r++) {
            double lik;
            if (r > 4) {
                lik = PoissonDistribution.of(6).probability((int) obs);
            } else {
                lik = 0;
                for (int k = 0; k <= 80; k++) {
                    lik += prior.probability(k) * PoissonDistribution.of(1 + fib(3 * r) + k).probability((int) obs);
                }
            }
            joint[r] = prior.probability(r) * lik;
            total += joint[r];
        }
        for (int r = 0; r <= 60; r++) {
            joint[r] /= total;
        }
        return joint;
    }

    /** Forward-backward: posterior[t][k] = P(state_t = k | all observations) of the HMM. */
    static double[][] hmmMarginals(double[] initial, double[][] transitions, double[] means, double sd, double[] obs) {
        int steps = obs.length;
        int k = initial.length;
        double[][] alpha = new double[steps][k];
        for (int t = 0; t < steps; t++) {
            double norm = 0;
            for (int j = 0; j < k; j++) {
                double prior = 0;
                if (t == 0) {
                    prior = initial[j];
                } else {
                    for (int i = 0; i < k; i++) {
                        prior += alpha[t - 1][i] * transitions[i][j];
                    }
                }
                alpha[t][j] = prior * NormalDistribution.of(means[j], sd).density(obs[t]);
                norm += alpha[t][j];
            }
            for (int j = 0; j < k; j++) {
                alpha[t][j] /= norm;
            }
        }
        double[][] beta = new double[steps][k];
        java.util.Arrays.fill(beta[steps - 1], 1);
        for (int t = steps - 2; t >= 0; t--) {
            double norm = 0;
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    beta[t][i] += transitions[i][j] * NormalDistribution.of(means[j], sd).density(obs[t + 1]) * beta[t + 1][j];
                }
                norm += beta[t][i];
            }
            for (int i = 0; i < k; i++) {
                beta[t][i] /= norm;
            }
        }
        double[][] post = new double[steps][k];
        for (int t = 0; t < steps; t++) {
            double norm = 0;
            for (int j = 0; j < k; j++) {
                post[t][j] = alpha[t][j] * beta[t][j];
                norm += post[t][j];
            }
            for (int j = 0; j < k; j++) {
                post[t][j] /= norm;
            }
        }
        return post;
    }

    /**
     * The two-component mixture's posterior means and standard deviations of mu0 and mu1, by
     * enumerating the 2^n assignments of points to components; given an assignment each mean has
     * a conjugate normal posterior. Returns {{mean0, sd0}, {mean1, sd1}}.
     */
    static double[][] mixturePosterior(double[] priorMeans, double priorSd, double[] weights, double sd, double[] x) {
        int n = x.length;
        int assignments = 1 << n;
        double[] logW = new double[assignments];
        double[][] m = new double[assignments][2];
        double[][] v = new double[assignments][2];
        double max = Double.NEGATIVE_INFINITY;
        for (int z = 0; z < assignments; z++) {
            double lw = 0;
            for (int c = 0; c < 2; c++) {
                double mean = priorMeans[c];
                double var = priorSd * priorSd;
                for (int i = 0; i < n; i++) {
                    if (((z >> i) & 1) == c) {
                        lw += Math.log(weights[c]) + NormalDistribution.of(mean, Math.sqrt(var + sd * sd)).logDensity(x[i]);
                        double precision = 1 / var + 1 / (sd * sd);
                        mean = (mean / var + x[i] / (sd * sd)) / precision;
                        var = 1 / precision;
                    }
                }
                m[z][c] = mean;
                v[z][c] = var;
            }
            logW[z] = lw;
            max = Math.max(max, lw);
        }
        double total = 0;
        for (int z = 0; z < assignments; z++) {
            logW[z] = Math.exp(logW[z] - max);
            total += logW[z];
        }
        double[][] out = new double[2][2];
        for (int c = 0; c < 2; c++) {
            double mean = 0;
            double second = 0;
            for (int z = 0; z < assignments; z++) {
                double w = logW[z] / total;
                mean += w * m[z][c];
                second += w * (v[z][c] + m[z][c] * m[z][c]);
            }
            out[c][0] = mean;
            out[c][1] = Math.sqrt(second - mean * mean);
        }
        return out;
    }
}
