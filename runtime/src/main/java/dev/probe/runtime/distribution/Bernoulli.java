package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;

/** A coin: {@code true} with probability p. */
public final class Bernoulli implements Distribution<Boolean> {

    private final double p;

    private Bernoulli(double p) {
        this.p = Params.probability("Bernoulli", "p", p);
    }

    /** Bernoulli(p), p in [0, 1]. */
    public static Bernoulli of(double p) {
        return new Bernoulli(p);
    }

    @Override
    public String kind() {
        return "Bernoulli";
    }

    @Override
    public ValueType valueType() {
        return ValueType.BOOLEAN;
    }

    @Override
    public Support support() {
        return Support.booleans();
    }

    @Override
    public Boolean sample(UniformRandomProvider rng) {
        // Commons RNG has no Bernoulli sampler; nextDouble() is in [0, 1), so p = 1 always gives true.
        return rng.nextDouble() < p;
    }

    @Override
    public double logProb(Boolean value) {
        return logMass(value);
    }

    /** log P(value). */
    public double logMass(boolean value) {
        return value ? Math.log(p) : Math.log1p(-p);
    }

    @Override
    public Boolean cast(Object value) {
        return Values.toBoolean(value, "Bernoulli value");
    }

    @Override
    public double mean() {
        return p;
    }

    @Override
    public double variance() {
        return p * (1 - p);
    }

    public double p() {
        return p;
    }

    @Override
    public String toString() {
        return "Bernoulli(" + p + ")";
    }
}
