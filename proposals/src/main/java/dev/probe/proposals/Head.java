package dev.probe.proposals;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Support;
import dev.probe.runtime.distribution.ValueType;

/**
 * The kinds of proposal a network can make, one output layer each. A choice's head follows from
 * its prior's support, so any distribution with a supported support is proposed, and the
 * proposal always puts mass wherever the prior does.
 */
public enum Head {
    /** The whole real line: a mixture of normals placed relative to the prior's mean and spread. */
    NORMAL,
    /** A real interval with a finite end: a mixture of normals truncated to it, centred inside. */
    TRUNCATED,
    /** {@code false} and {@code true}: a Bernoulli whose logit shifts the prior's. */
    BERNOULLI,
    /** Finitely many categories: a categorical whose logits shift the prior's. */
    CATEGORICAL,
    /** Counts from zero without bound: a mixture of Poissons with rates relative to the prior's mean. */
    POISSON,
    /** Counts from zero to n: a binomial whose logit shifts the prior's. */
    BINOMIAL;

    /** Mixture components of the real heads. */
    public static final int MIXTURE = 10;
    /** Mixture components of the Poisson head. */
    public static final int POISSONS = 3;

    /** The width of this head's output layer. */
    int outputs(int maxCategories) {
        switch (this) {
            case NORMAL:
            case TRUNCATED:
                return 3 * MIXTURE;
            case CATEGORICAL:
                return maxCategories;
            case POISSON:
                return 2 * POISSONS;
            default:
                return 1;
        }
    }

    /**
     * The head for a prior, or null where no head fits (array values, simplexes, integers that are
     * not counts, categoricals with more than {@code maxCategories} categories): such choices are
     * drawn from their prior.
     */
    public static Head of(Distribution<?> prior, int maxCategories) {
        if (prior.dimension() != 0 || prior.valueType().isArray()) {
            return null;
        }
        Support s = prior.support();
        switch (s.kind()) {
            case REAL:
                return Double.isInfinite(s.lower()) && Double.isInfinite(s.upper()) ? NORMAL : TRUNCATED;
            case BOOLEAN:
                return prior.valueType() == ValueType.BOOLEAN ? BERNOULLI : null;
            case INTEGER:
                if (s.lower() != 0) {
                    return null;
                }
                if ("Categorical".equals(prior.kind())) {
                    return s.upper() + 1 <= maxCategories ? CATEGORICAL : null;
                }
                if ("Binomial".equals(prior.kind())) {
                    return BINOMIAL;
                }
                return Double.isInfinite(s.upper()) ? POISSON : null;
            default:
                return null;
        }
    }
}
