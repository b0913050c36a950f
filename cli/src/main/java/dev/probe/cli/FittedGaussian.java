package dev.probe.cli;

import java.io.Serializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.probe.diagnostics.Samples;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.RealDistribution;
import dev.probe.runtime.distribution.Support;
import dev.probe.runtime.distribution.TruncatedNormal;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.posterior.Posterior;

/**
 * A multivariate Gaussian proposal for importance sampling, fitted to an earlier run's weighted
 * draws of the parameters (population Monte Carlo, Cappé et al. 2004): the parameters are proposed
 * in their order, each from its conditional given the ones before (mean + the Cholesky factor's
 * row times the earlier standardised values), its standard deviation multiplied by
 * {@code scale} and, where the prior's support is an interval, truncated to it, so that the
 * proposal puts mass wherever the prior does. Choices that are not parameters, or a parameter met
 * out of order, are drawn from their priors.
 */
final class FittedGaussian implements Proposal, Serializable {

    private static final long serialVersionUID = 1L;

    private final Map<String, Integer> index = new HashMap<>();
    private final double[] mean;
    private final double[][] chol;

    /**
     * Fits the weighted mean and covariance of {@code parameters} (column names as {@link Samples}
     * gives them: {@code theta[3]}, or {@code beta} for a single instance) in {@code p}; the
     * covariance is multiplied by {@code scale} squared.
     */
    FittedGaussian(Posterior p, List<String> parameters, double scale) {
        Samples s = Samples.of(p);
        int d = parameters.size();
        double[][] cols = new double[d][];
        for (int j = 0; j < d; j++) {
            cols[j] = s.column(parameters.get(j));
            index.put(parameters.get(j), j);
        }
        double[] w = s.weights();
        mean = SbiTasks.mean(cols, w);
        double[][] cov = SbiTasks.covariance(cols, w, mean);
        chol = SbiTasks.cholesky(cov, scale * scale);
    }

    /** The fitted mean (a copy). */
    double[] mean() {
        return mean.clone();
    }

    /**
     * The position of the choice at {@code address}, instance {@code instance}, among the fitted
     * parameters named as {@link Samples} names its columns ({@code theta[3]}, or {@code beta} for a
     * single instance); -1 if it is none of them.
     */
    static int parameter(Map<String, Integer> index, Address address, int instance) {
        Integer j = index.get(address.key() + "[" + instance + "]");
        if (j == null && instance == 0) {
            j = index.get(address.key());
        }
        return j == null ? -1 : j;
    }

    @Override
    public Proposer start(Observations observations) {
        return new Proposer() {
            private final double[] z = new double[mean.length];
            private int next;

            @Override
            public Distribution<?> propose(Address address, int instance, Distribution<?> prior) {
                int j = FittedGaussian.parameter(index, address, instance);
                if (j != next || !(prior instanceof RealDistribution r)) {
                    return null;
                }
                double m = mean[j];
                for (int k = 0; k < j; k++) {
                    m += chol[j][k] * z[k];
                }
                double sd = chol[j][j];
                Support support = r.support();
                double lo = support.lower();
                double hi = support.upper();
                if (Double.isInfinite(lo) && Double.isInfinite(hi)) {
                    return Normal.of(m, sd);
                }
                try {
                    return TruncatedNormal.of(m, sd, lo, hi);
                } catch (IllegalArgumentException e) {
                    // The support lies so far out in the conditional's tail that it holds no mass in
                    // doubles (two_moons at 10^3: a Gaussian fitted across both crescents, its
                    // conditional 87 SDs from the box): the prior proposes this one, which keeps
                    // the proposal a density wherever the prior is one.
                    return null;
                }
            }

            @Override
            public void chosen(Address address, int instance, Distribution<?> prior, Object value) {
                int j = FittedGaussian.parameter(index, address, instance);
                if (j != next || !(value instanceof Number v)) {
                    return;
                }
                double m = mean[j];
                for (int k = 0; k < j; k++) {
                    m += chol[j][k] * z[k];
                }
                z[j] = (v.doubleValue() - m) / chol[j][j];
                next++;
            }
        };
    }

    @Override
    public String name() {
        return "fitted-gaussian";
    }
}
