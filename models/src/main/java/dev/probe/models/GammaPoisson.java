package dev.probe.models;

import dev.probe.runtime.distribution.Gamma;
import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * Counts with an unknown rate: rate ~ Gamma(2, 1) (shape, rate); each of {@code n} counts is
 * observed as {@code count} ~ Poisson(rate). Conjugate: the posterior is Gamma(2 + sum, 1 + n).
 */
public final class GammaPoisson implements Model {

    static final double SHAPE = 2;
    static final double RATE = 1;

    private final int n;

    public GammaPoisson(int n) {
        this.n = n;
    }

    @Override
    public Object run(Context ctx) {
        double rate = ctx.sample(Gamma.of(SHAPE, RATE), "rate");
        Poisson counts = Poisson.of(rate);
        for (int i = 0; i < n; i++) {
            ctx.observe(counts, "count");
        }
        return rate;
    }
}
