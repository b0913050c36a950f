package dev.probe.models;

import dev.probe.runtime.distribution.Bernoulli;
import dev.probe.runtime.distribution.Beta;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * A coin of unknown bias: p ~ Beta(2, 2); each of {@code flips} tosses is observed as
 * {@code flip} ~ Bernoulli(p). Conjugate: the posterior is Beta(2 + heads, 2 + tails).
 */
public final class Coin implements Model {

    static final double ALPHA = 2;
    static final double BETA = 2;

    private final int flips;

    public Coin(int flips) {
        this.flips = flips;
    }

    @Override
    public Object run(Context ctx) {
        double p = ctx.sample(Beta.of(ALPHA, BETA), "p");
        Bernoulli toss = Bernoulli.of(p);
        for (int i = 0; i < flips; i++) {
            ctx.observe(toss, "flip");
        }
        return p;
    }
}
