package dev.probe.runtime.distribution;

/** A distribution over integers ({@link Long} values). */
public abstract class IntegerDistribution implements Distribution<Long> {

    @Override
    public final ValueType valueType() {
        return ValueType.INTEGER;
    }

    @Override
    public final Long cast(Object value) {
        return Values.toLong(value, kind() + " value");
    }

    @Override
    public final double logProb(Long value) {
        return logMass(value);
    }

    /** The log probability of {@code k}; -inf outside the support. */
    public abstract double logMass(long k);

    @Override
    public abstract double mean();

    @Override
    public abstract double variance();
}
