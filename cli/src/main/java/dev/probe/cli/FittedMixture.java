package dev.probe.cli;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.RealDistribution;
import dev.probe.runtime.distribution.Support;
import dev.probe.runtime.distribution.TruncatedNormal;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.model.Address;

/**
 * A Gaussian-mixture proposal for importance sampling (population Monte Carlo with mixtures,
 * Cappé et al. 2008): components fitted by weighted EM to an earlier run's weighted draws of the
 * parameters, each component possibly present at several widths, plus a defensive share of the
 * prior. The parameters are proposed in their order, each from the mixture's conditional given
 * the ones before: a mixture of the components' Gaussian conditionals (truncated to the prior's
 * support where that is an interval) weighted by each component's density of the values chosen so
 * far. The product of those conditionals is exactly the density of the draw, so the engine's
 * weights are prior times likelihood over the whole mixture's density (not over one component's),
 * which keeps a draw that one component proposes and another covers from weighing much. Choices
 * that are not parameters, or a parameter met out of order, are drawn from their priors.
 */
final class FittedMixture implements Proposal, Serializable {

    private static final long serialVersionUID = 1L;

    /** One Gaussian: its share, mean and the lower Cholesky factor of its covariance. */
    record Component(double weight, double[] mean, double[][] chol) implements Serializable {
    }

    private final Map<String, Integer> index = new HashMap<>();
    private final int d;
    private final double[] logWeights;   // the components' then the prior's, normalised; prior last
    private final double[][] means;
    private final double[][][] chols;

    /**
     * The proposal {@code sum_s shares[s] * mixture(widths[s]) + priorShare * prior}, where
     * mixture(c) is {@code fit} with every covariance multiplied by c squared; the shares and
     * {@code priorShare} are normalised together.
     */
    FittedMixture(List<Component> fit, List<String> parameters, double[] widths, double[] shares, double priorShare) {
        d = parameters.size();
        for (int j = 0; j < d; j++) {
            index.put(parameters.get(j), j);
        }
        int k = fit.size() * widths.length;
        logWeights = new double[k + 1];
        means = new double[k][];
        chols = new double[k][][];
        double fitTotal = 0;
        for (Component c : fit) {
            fitTotal += c.weight();
        }
        double total = priorShare;
        for (double s : shares) {
            total += s;
        }
        int at = 0;
        for (int s = 0; s < widths.length; s++) {
            for (Component c : fit) {
                logWeights[at] = Math.log(shares[s] / total * c.weight() / fitTotal);
                means[at] = c.mean().clone();
                chols[at] = new double[d][d];
                for (int a = 0; a < d; a++) {
                    for (int b = 0; b <= a; b++) {
                        chols[at][a][b] = widths[s] * c.chol()[a][b];
                    }
                }
                at++;
            }
        }
        logWeights[k] = priorShare > 0 ? Math.log(priorShare / total) : Double.NEGATIVE_INFINITY;
    }

    /** Components in the proposal, the prior's not counted. */
    int components() {
        return means.length;
    }

    @Override
    public Proposer start(Observations observations) {
        return new Proposer() {
            private final int k = means.length;
            private final double[] logResp = logWeights.clone();
            private final double[][] z = new double[k][d];
            private final RealDistribution[] current = new RealDistribution[k + 1];
            private int next;

            @Override
            public Distribution<?> propose(Address address, int instance, Distribution<?> prior) {
                int j = FittedGaussian.parameter(index, address, instance);
                if (j != next || !(prior instanceof RealDistribution r)) {
                    return null;
                }
                Support support = r.support();
                double lo = support.lower();
                double hi = support.upper();
                boolean open = Double.isInfinite(lo) && Double.isInfinite(hi);
                // Each component's conditional given the values so far, and the prior; a component
                // whose conditional holds under 1e-23 of its mass inside the support (10 SDs off it,
                // as a mirror image through 0 of a positive parameter's component is) drops out here
                // and from the rest of the run. The largest share is taken over those that remain:
                // taken over all, a component dropping out could leave every other one, the prior
                // too, under the cut below (sir.ppl failed so: a draw near 0 from a mirror image).
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c <= k; c++) {
                    current[c] = null;
                    if (logResp[c] == Double.NEGATIVE_INFINITY) {
                        continue;
                    }
                    if (c == k) {
                        current[c] = r;
                    } else {
                        double m = means[c][j];
                        for (int i = 0; i < j; i++) {
                            m += chols[c][j][i] * z[c][i];
                        }
                        double sd = chols[c][j][j];
                        if (m + 10 * sd < lo || m - 10 * sd > hi) {
                            continue;
                        }
                        try {
                            current[c] = open ? Normal.of(m, sd) : TruncatedNormal.of(m, sd, lo, hi);
                        } catch (IllegalArgumentException e) {
                            continue; // no mass inside the support that a double can hold
                        }
                    }
                    max = Math.max(max, logResp[c]);
                }
                List<Distribution<Double>> parts = new ArrayList<>();
                List<Double> weights = new ArrayList<>();
                for (int c = 0; c <= k; c++) {
                    // Components whose share given the values so far is under 1e-30 of the largest are left out;
                    // the density of the draw is the density of what is returned, so this stays exact.
                    if (current[c] != null && logResp[c] < max - 69) {
                        current[c] = null;
                    }
                    if (current[c] != null) {
                        parts.add(current[c]);
                        weights.add(Math.exp(logResp[c] - max));
                    }
                }
                if (parts.isEmpty()) {
                    // Only where the prior itself has no density at the values so far (their weight is 0).
                    current[k] = r;
                    return r;
                }
                double[] w = new double[weights.size()];
                for (int i = 0; i < w.length; i++) {
                    w[i] = weights.get(i);
                }
                return parts.size() == 1 ? parts.get(0) : Mixture.of(w, parts);
            }

            @Override
            public void chosen(Address address, int instance, Distribution<?> prior, Object value) {
                int j = FittedGaussian.parameter(index, address, instance);
                if (j != next || !(value instanceof Number n)) {
                    return;
                }
                double v = n.doubleValue();
                for (int c = 0; c <= k; c++) {
                    if (current[c] == null) {
                        // Left out of this choice's mixture (or the choice was not proposed): out of the rest too.
                        logResp[c] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    logResp[c] += current[c].logDensity(v);
                    if (c < k) {
                        double m = means[c][j];
                        for (int i = 0; i < j; i++) {
                            m += chols[c][j][i] * z[c][i];
                        }
                        z[c][j] = (v - m) / chols[c][j][j];
                    }
                }
                next++;
            }
        };
    }

    @Override
    public String name() {
        return "fitted-mixture";
    }

    /**
     * A mixture of up to {@code k} Gaussians fitted to the weighted points {@code x} (rows) by EM:
     * started from weighted k-means++ centres in coordinates scaled by the points' standard
     * deviations, {@code iterations} rounds of EM, each covariance with a ridge of 1e-8 of the
     * points' variance in each coordinate; a component whose effective number of points (Kish's,
     * of the weights it takes) falls under d + 2 is dropped.
     */
    static List<Component> fit(double[][] x, double[] w, int k, int iterations, long seed) {
        int n = x.length;
        double total = 0;
        for (double v : w) {
            total += v;
        }
        if (n == 0 || !(total > 0)) {
            return List.of();
        }
        int d = x[0].length;
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < d; a++) {
                mean[a] += w[i] / total * x[i][a];
            }
        }
        double[] sd = new double[d];
        for (int i = 0; i < n; i++) {
            for (int a = 0; a < d; a++) {
                sd[a] += w[i] / total * (x[i][a] - mean[a]) * (x[i][a] - mean[a]);
            }
        }
        double[] ridge = new double[d];
        for (int a = 0; a < d; a++) {
            ridge[a] = 1e-8 * sd[a] + 1e-300;
            sd[a] = Math.sqrt(sd[a]) + 1e-300;
        }
        // k-means++ seeding, weighted, then a few rounds of weighted k-means in scaled coordinates.
        UniformRandomProvider rng = Seeds.generator(seed, 0);
        double[][] centres = new double[k][];
        double[] dist = new double[n];
        java.util.Arrays.fill(dist, Double.POSITIVE_INFINITY);
        int chosen = 0;
        for (int c = 0; c < k; c++) {
            double[] p = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                p[i] = w[i] * (c == 0 ? 1 : dist[i]);
                sum += p[i];
            }
            if (!(sum > 0)) {
                break;
            }
            double u = rng.nextDouble() * sum;
            int pick = 0;
            for (double acc = p[0]; acc < u && pick < n - 1; ) {
                acc += p[++pick];
            }
            centres[c] = x[pick].clone();
            chosen++;
            for (int i = 0; i < n; i++) {
                dist[i] = Math.min(dist[i], scaled(x[i], centres[c], sd));
            }
        }
        k = chosen;
        int[] label = new int[n];
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < n; i++) {
                double best = Double.POSITIVE_INFINITY;
                for (int c = 0; c < k; c++) {
                    double v = scaled(x[i], centres[c], sd);
                    if (v < best) {
                        best = v;
                        label[i] = c;
                    }
                }
            }
            double[][] sums = new double[k][d];
            double[] mass = new double[k];
            for (int i = 0; i < n; i++) {
                mass[label[i]] += w[i];
                for (int a = 0; a < d; a++) {
                    sums[label[i]][a] += w[i] * x[i][a];
                }
            }
            for (int c = 0; c < k; c++) {
                if (mass[c] > 0) {
                    for (int a = 0; a < d; a++) {
                        centres[c][a] = sums[c][a] / mass[c];
                    }
                }
            }
        }
        double[][] resp = new double[n][k];
        for (int i = 0; i < n; i++) {
            resp[i][label[i]] = 1;
        }
        List<Component> comps = mStep(x, w, resp, k, ridge);
        for (int it = 0; it < iterations && !comps.isEmpty(); it++) {
            k = comps.size();
            resp = new double[n][k];
            double[] logw = new double[k];
            for (int c = 0; c < k; c++) {
                logw[c] = Math.log(comps.get(c).weight());
            }
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < k; c++) {
                    resp[i][c] = logw[c] + logNormal(x[i], comps.get(c));
                    max = Math.max(max, resp[i][c]);
                }
                double s = 0;
                for (int c = 0; c < k; c++) {
                    resp[i][c] = Math.exp(resp[i][c] - max);
                    s += resp[i][c];
                }
                for (int c = 0; c < k; c++) {
                    resp[i][c] /= s;
                }
            }
            comps = mStep(x, w, resp, k, ridge);
        }
        return comps;
    }

    private static double scaled(double[] x, double[] c, double[] sd) {
        double s = 0;
        for (int a = 0; a < x.length; a++) {
            double t = (x[a] - c[a]) / sd[a];
            s += t * t;
        }
        return s;
    }

    /** The weighted components for responsibilities {@code resp}, those with too few effective points dropped. */
    private static List<Component> mStep(double[][] x, double[] w, double[][] resp, int k, double[] ridge) {
        int n = x.length;
        int d = x[0].length;
        List<Component> out = new ArrayList<>();
        double total = 0;
        for (double v : w) {
            total += v;
        }
        for (int c = 0; c < k; c++) {
            double mass = 0;
            double squares = 0;
            double[] m = new double[d];
            for (int i = 0; i < n; i++) {
                double v = w[i] * resp[i][c];
                mass += v;
                squares += v * v;
                for (int a = 0; a < d; a++) {
                    m[a] += v * x[i][a];
                }
            }
            if (!(mass > 0) || mass * mass / squares < d + 2) {
                continue;
            }
            for (int a = 0; a < d; a++) {
                m[a] /= mass;
            }
            double[][] cov = new double[d][d];
            for (int i = 0; i < n; i++) {
                double v = w[i] * resp[i][c] / mass;
                if (v == 0) {
                    continue;
                }
                for (int a = 0; a < d; a++) {
                    for (int b = 0; b <= a; b++) {
                        cov[a][b] += v * (x[i][a] - m[a]) * (x[i][b] - m[b]);
                    }
                }
            }
            for (int a = 0; a < d; a++) {
                cov[a][a] += ridge[a];
            }
            out.add(new Component(mass / total, m, SbiTasks.cholesky(cov, 1)));
        }
        return out;
    }

    /**
     * The fit with its mirror images: every component keeps {@code 1 - share} of its weight, and
     * for each coordinate a copy of it reflected through 0 in that coordinate (its mean's sign
     * flipped there, and its covariance's row and column: the Cholesky factor D L D for the sign
     * matrix D) takes {@code share / d}. A posterior mode that is the mirror image of a found one
     * (a parameter that enters its model squared or as an absolute value, under a prior
     * symmetric about 0) is then proposed at that share, and the importance weights of the runs
     * that land there pull the next fit onto it; where no such mode exists, the share is spent on
     * runs of little weight. A copy with no mass in a parameter's support drops out of the
     * proposal where it is met, as any such component does.
     */
    static List<Component> mirrored(List<Component> fit, double share) {
        if (fit.isEmpty() || share <= 0) {
            return fit;
        }
        int d = fit.get(0).mean().length;
        List<Component> out = new ArrayList<>();
        for (Component c : fit) {
            out.add(new Component(c.weight() * (1 - share), c.mean(), c.chol()));
        }
        for (int a = 0; a < d; a++) {
            for (Component c : fit) {
                double[] m = c.mean().clone();
                m[a] = -m[a];
                double[][] l = new double[d][];
                for (int i = 0; i < d; i++) {
                    l[i] = c.chol()[i].clone();
                    for (int j = 0; j < d; j++) {
                        if ((i == a) != (j == a)) {
                            l[i][j] = -l[i][j];
                        }
                    }
                }
                out.add(new Component(c.weight() * share / d, m, l));
            }
        }
        return out;
    }

    /** The log density of a component at {@code x}. */
    static double logNormal(double[] x, Component c) {
        int d = x.length;
        double[][] l = c.chol();
        double[] e = new double[d];
        double quad = 0;
        double logDet = 0;
        for (int a = 0; a < d; a++) {
            double v = x[a] - c.mean()[a];
            for (int b = 0; b < a; b++) {
                v -= l[a][b] * e[b];
            }
            e[a] = v / l[a][a];
            quad += e[a] * e[a];
            logDet += Math.log(l[a][a]);
        }
        return -0.5 * quad - logDet - 0.5 * d * Math.log(2 * Math.PI);
    }
}
