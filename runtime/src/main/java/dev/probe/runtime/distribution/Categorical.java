package dev.probe.runtime.distribution;

import java.util.Arrays;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.GuideTableDiscreteSampler;
import org.apache.commons.rng.sampling.distribution.SharedStateDiscreteSampler;

/** A choice of 0 .. k-1 with probabilities proportional to non-negative weights. */
public final class Categorical extends IntegerDistribution {

    private final double[] probabilities;
    private final double[] logProbabilities;
    /** Built on first use, then rebound to each generator; a benign race at worst builds it twice. */
    private transient SharedStateDiscreteSampler sampler;

    private Categorical(double[] weights) {
        Params.nonEmpty("Categorical", "weights", weights.length);
        double total = 0;
        for (int i = 0; i < weights.length; i++) {
            Params.nonNegative("Categorical", "weights", i, weights[i]);
            total += weights[i];
        }
        if (!(total > 0) || !Double.isFinite(total)) {
            throw Params.invalid("Categorical", "the sum of the weights", "positive and finite", total);
        }
        probabilities = new double[weights.length];
        logProbabilities = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            probabilities[i] = weights[i] / total;
            logProbabilities[i] = Math.log(probabilities[i]);
        }
    }

    /** Categorical(weights); the weights are normalised. */
    public static Categorical of(double... weights) {
        return new Categorical(weights.clone());
    }

    @Override
    public String kind() {
        return "Categorical";
    }

    @Override
    public Support support() {
        return Support.integers(0, probabilities.length - 1);
    }

    @Override
    public Long sample(UniformRandomProvider rng) {
        SharedStateDiscreteSampler s = sampler;
        if (s == null) {
            s = GuideTableDiscreteSampler.of(rng, probabilities);
            sampler = s;
        }
        return (long) s.withUniformRandomProvider(rng).sample();
    }

    @Override
    public double logMass(long k) {
        return k >= 0 && k < probabilities.length ? logProbabilities[(int) k] : Double.NEGATIVE_INFINITY;
    }

    @Override
    public double mean() {
        double m = 0;
        for (int i = 0; i < probabilities.length; i++) {
            m += i * probabilities[i];
        }
        return m;
    }

    @Override
    public double variance() {
        double m = mean();
        double v = 0;
        for (int i = 0; i < probabilities.length; i++) {
            v += (i - m) * (i - m) * probabilities[i];
        }
        return v;
    }

    /** The number of categories. */
    public int size() {
        return probabilities.length;
    }

    /** The normalised probabilities (a copy). */
    public double[] probabilities() {
        return probabilities.clone();
    }

    @Override
    public String toString() {
        return "Categorical(" + Arrays.toString(probabilities) + ")";
    }
}
