package dev.probe.runtime.distribution;

/** A distribution over real numbers ({@link Double} values). */
public abstract class RealDistribution implements Distribution<Double> {

    /** log(sqrt(2 pi)). */
    static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

    @Override
    public final ValueType valueType() {
        return ValueType.REAL;
    }

    @Override
    public final Double cast(Object value) {
        if (value instanceof Double) {
            // Already a Double: no new box (observations are cast on every run).
            return (Double) value;
        }
        if (value instanceof Boolean) {
            throw new IllegalArgumentException(kind() + " value must be a number, got the boolean " + value);
        }
        return Values.toDouble(value, kind() + " value");
    }

    @Override
    public final double logProb(Double value) {
        return logDensity(value);
    }

    /** The log density at {@code x}; -inf outside the support. */
    public abstract double logDensity(double x);

    @Override
    public abstract double mean();

    @Override
    public abstract double variance();
}
