package dev.probe.proposals;

import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.Support;
import dev.probe.runtime.distribution.ValueType;

/**
 * A choice's share of {@code ic --defensive}'s mixture of whole runs: the network's proposal and
 * its wide twin, weighted by the chances that the run so far came from each. It is the
 * distribution {@code Mixture.of({w0, w1}, {network, wide})} is, to the bit: the same component
 * for the same uniform draw (the first whose cumulative probability the draw does not exceed, as
 * Commons RNG's guide table finds it), and the same log density, computed in the same order.
 * Made once per real-valued choice of every run, a general {@code Mixture} built a
 * {@code Categorical}, a guide table, a sampler and four logarithms for two components (tested
 * against {@code Mixture} on the same draws).
 */
final class RunMixture<T> implements Distribution<T> {

    private final Distribution<T> network;
    private final Distribution<T> wide;
    /** The two parts' shares as {@code Categorical} normalises them, and the guide table's cut between them. */
    private final double first;
    private final double second;
    private final double cut;
    /** The weights as given, for {@link #objects}. */
    private final double networkWeight;
    private final double wideWeight;
    private Mixture<T> objects;

    /**
     * @param networkWeight the network's part's weight (positive, finite, not necessarily normalised)
     * @param wideWeight    the wide twin's
     */
    RunMixture(Distribution<T> network, Distribution<T> wide, double networkWeight, double wideWeight) {
        this.network = network;
        this.wide = wide;
        this.networkWeight = networkWeight;
        this.wideWeight = wideWeight;
        double total = networkWeight + wideWeight;
        if (!(networkWeight >= 0 && wideWeight >= 0 && total > 0 && total < Double.POSITIVE_INFINITY)) {
            // What Mixture.of refuses (through Categorical): a NaN or negative share, a zero or
            // infinite total, as when the run's densities under both proposals underflowed.
            throw new IllegalArgumentException("Mixture: the run's shares of the network's proposal and its wide twin must be"
                    + " non-negative with a positive, finite total, got " + networkWeight + " and " + wideWeight);
        }
        first = networkWeight / total;
        second = wideWeight / total;
        cut = Math.min(first / (first + second), 1);
    }

    @Override
    public String kind() {
        return "Mixture";
    }

    @Override
    public ValueType valueType() {
        return network.valueType();
    }

    @Override
    public Support support() {
        return objects().support();
    }

    @Override
    public int dimension() {
        return network.dimension();
    }

    @Override
    public T sample(UniformRandomProvider rng) {
        return (rng.nextDouble() <= cut ? network : wide).sample(rng);
    }

    @Override
    public double logProb(T value) {
        double a = Math.log(first) + network.logProb(value);
        double b = Math.log(second) + wide.logProb(value);
        double max = Math.max(a, b);
        if (max == Double.NEGATIVE_INFINITY || max == Double.POSITIVE_INFINITY) {
            return max;
        }
        double sum = Math.exp(a - max);
        sum += Math.exp(b - max);
        return max + Math.log(sum);
    }

    @Override
    public T cast(Object value) {
        return network.cast(value);
    }

    @Override
    public double mean() {
        return objects().mean();
    }

    @Override
    public double variance() {
        return objects().variance();
    }

    @Override
    public double[] means() {
        return objects().means();
    }

    @Override
    public double[] variances() {
        return objects().variances();
    }

    /** The same mixture as a runtime {@code Mixture}, made only where more than a draw and a density is asked for. */
    private Mixture<T> objects() {
        if (objects == null) {
            objects = Mixture.of(new double[] {networkWeight, wideWeight}, List.of(network, wide));
        }
        return objects;
    }

    @Override
    public String toString() {
        return objects().toString();
    }
}
