package dev.probe.models;

import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.Uniform;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * The Gaussian model (mu ~ Normal(1, sqrt 5); obs0, obs1 ~ Normal(mu, sqrt 2)) with mu drawn by
 * Marsaglia's polar method: (u1, u2) uniform on the square until inside the unit disk, then
 * mu = 1 + sqrt 5 * u1 * sqrt(-2 ln s / s). The posterior is the Gaussian model's, N(7.25, 0.9129)
 * for obs0 = 8 and obs1 = 9, but the random choices are a loop with a data-independent number of
 * rejected iterations: the benchmark for inference compilation's handling of rejection sampling.
 * Marked ({@link Context#rejection}) by default; {@code marked = false} writes it as a plain loop.
 */
public final class Polar implements Model {

    private final boolean marked;

    Polar(boolean marked) {
        this.marked = marked;
    }

    @Override
    public String identity() {
        return "builtin:polar" + (marked ? "" : " (plain loop)");
    }

    @Override
    public Object run(Context ctx) {
        double[] u;
        if (marked) {
            u = ctx.rejection("polar", Polar::pair, Polar::inDisk);
        } else {
            do {
                u = pair(ctx);
            } while (!inDisk(u));
        }
        double s = u[0] * u[0] + u[1] * u[1];
        double mu = Gaussian.PRIOR_MEAN + Gaussian.PRIOR_STDDEV * u[0] * Math.sqrt(-2 * Math.log(s) / s);
        ctx.tag(mu, "mu");
        Normal likelihood = Normal.of(mu, Gaussian.NOISE_STDDEV);
        ctx.observe(likelihood, "obs0");
        ctx.observe(likelihood, "obs1");
        return mu;
    }

    private static double[] pair(Context c) {
        return new double[] {c.sample(Uniform.of(-1, 1), "u1"), c.sample(Uniform.of(-1, 1), "u2")};
    }

    private static boolean inDisk(double[] u) {
        double s = u[0] * u[0] + u[1] * u[1];
        return s < 1 && s > 0;
    }
}
