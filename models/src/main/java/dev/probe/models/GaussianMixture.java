package dev.probe.models;

import java.util.List;

import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * A mixture of two Gaussians with unknown means: mu0 ~ Normal(-2, 2), mu1 ~ Normal(2, 2); each
 * of {@code n} points is observed as {@code x} ~ 0.5 Normal(mu0, 1) + 0.5 Normal(mu1, 1). The
 * posterior is known exactly by enumerating the 2^n assignments of points to components.
 */
public final class GaussianMixture implements Model {

    static final double[] PRIOR_MEANS = {-2, 2};
    static final double PRIOR_STDDEV = 2;
    static final double[] WEIGHTS = {0.5, 0.5};
    static final double STDDEV = 1;

    private final int n;

    public GaussianMixture(int n) {
        this.n = n;
    }

    @Override
    public Object run(Context ctx) {
        double mu0 = ctx.sample(Normal.of(PRIOR_MEANS[0], PRIOR_STDDEV), "mu0");
        double mu1 = ctx.sample(Normal.of(PRIOR_MEANS[1], PRIOR_STDDEV), "mu1");
        Mixture<Double> point = Mixture.of(WEIGHTS, List.of(Normal.of(mu0, STDDEV), Normal.of(mu1, STDDEV)));
        for (int i = 0; i < n; i++) {
            ctx.observe(point, "x");
        }
        return mu0;
    }
}
