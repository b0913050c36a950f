package dev.probe.runtime.distribution;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;

/**
 * A finite mixture: a component chosen with probability proportional to its weight, then a value
 * from that component. Every component must give values of one type and dimension.
 *
 * @param <T> the components' value type
 */
public final class Mixture<T> implements Distribution<T> {

    private final Categorical choice;
    private final double[] logWeights;
    private final List<Distribution<T>> components;

    private Mixture(double[] weights, List<? extends Distribution<T>> components) {
        if (weights.length != components.size()) {
            throw new IllegalArgumentException("Mixture: there must be one weight per component, got "
                    + weights.length + " weights and " + components.size() + " components");
        }
        Params.nonEmpty("Mixture", "components", components.size());
        try {
            this.choice = Categorical.of(weights);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("Categorical:", "Mixture:"), e);
        }
        Distribution<T> first = components.get(0);
        for (int i = 0; i < components.size(); i++) {
            Distribution<T> c = components.get(i);
            if (c == null) {
                throw new IllegalArgumentException("Mixture: component " + i + " is missing");
            }
            if (c.valueType() != first.valueType() || c.dimension() != first.dimension()) {
                throw new IllegalArgumentException("Mixture: every component must give values of one type, but component 0 is "
                        + first.kind() + " and component " + i + " is " + c.kind() + " with other values");
            }
        }
        double[] p = choice.probabilities();
        logWeights = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            logWeights[i] = Math.log(p[i]);
        }
        this.components = Collections.unmodifiableList(new ArrayList<>(components));
    }

    /** Mixture(weights, components); the weights are normalised. */
    public static <T> Mixture<T> of(double[] weights, List<? extends Distribution<T>> components) {
        return new Mixture<>(weights.clone(), components);
    }

    @Override
    public String kind() {
        return "Mixture";
    }

    @Override
    public ValueType valueType() {
        return components.get(0).valueType();
    }

    @Override
    public Support support() {
        // The components share a value type; the widest of their supports covers them all.
        Support s = components.get(0).support();
        double lo = s.lower();
        double hi = s.upper();
        for (Distribution<T> c : components) {
            lo = Math.min(lo, c.support().lower());
            hi = Math.max(hi, c.support().upper());
        }
        switch (s.kind()) {
            case REAL:
                return Support.interval(lo, true, hi, true);
            case INTEGER:
                return Support.integers(lo, hi);
            default:
                return s;
        }
    }

    @Override
    public int dimension() {
        return components.get(0).dimension();
    }

    @Override
    public T sample(UniformRandomProvider rng) {
        return components.get((int) (long) choice.sample(rng)).sample(rng);
    }

    @Override
    public double logProb(T value) {
        // log sum_k w_k p_k(x).
        double[] terms = new double[components.size()];
        for (int k = 0; k < terms.length; k++) {
            terms[k] = logWeights[k] + components.get(k).logProb(value);
        }
        return LogSum.of(terms);
    }

    @Override
    public T cast(Object value) {
        return components.get(0).cast(value);
    }

    @Override
    public double mean() {
        if (dimension() > 0) {
            return Distribution.super.mean();
        }
        return means()[0];
    }

    @Override
    public double variance() {
        if (dimension() > 0) {
            return Distribution.super.variance();
        }
        return variances()[0];
    }

    @Override
    public double[] means() {
        double[] p = choice.probabilities();
        double[] m = new double[Math.max(1, dimension())];
        for (int k = 0; k < p.length; k++) {
            double[] mk = components.get(k).means();
            for (int i = 0; i < m.length; i++) {
                m[i] += p[k] * mk[i];
            }
        }
        return m;
    }

    @Override
    public double[] variances() {
        // Law of total variance: E[Var] + Var[E].
        double[] p = choice.probabilities();
        double[] mean = means();
        double[] v = new double[mean.length];
        for (int k = 0; k < p.length; k++) {
            double[] mk = components.get(k).means();
            double[] vk = components.get(k).variances();
            for (int i = 0; i < v.length; i++) {
                v[i] += p[k] * (vk[i] + (mk[i] - mean[i]) * (mk[i] - mean[i]));
            }
        }
        return v;
    }

    /** The components, in order. */
    public List<Distribution<T>> components() {
        return components;
    }

    /** The normalised weights. */
    public double[] weights() {
        return choice.probabilities();
    }

    @Override
    public String toString() {
        return "Mixture(" + java.util.Arrays.toString(choice.probabilities()) + ", " + components + ")";
    }
}
