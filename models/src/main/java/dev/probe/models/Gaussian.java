package dev.probe.models;

import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * Gaussian with unknown mean: mu ~ Normal(1, sqrt 5); obs0, obs1 ~ Normal(mu, sqrt 2). Conjugate,
 * so the posterior is known exactly: with obs0 = 8 and obs1 = 9 it is Normal(7.25, 0.9129).
 */
public final class Gaussian implements Model {

    static final double PRIOR_MEAN = 1;
    static final double PRIOR_STDDEV = Math.sqrt(5);
    static final double NOISE_STDDEV = Math.sqrt(2);

    @Override
    public Object run(Context ctx) {
        double mu = ctx.sample(Normal.of(PRIOR_MEAN, PRIOR_STDDEV), "mu");
        Normal likelihood = Normal.of(mu, NOISE_STDDEV);
        ctx.observe(likelihood, "obs0");
        ctx.observe(likelihood, "obs1");
        return mu;
    }
}
