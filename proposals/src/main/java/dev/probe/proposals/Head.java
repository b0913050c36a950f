package dev.probe.proposals;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.DistributionKind;
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
     * drawn from their prior. The registry's kinds are decided one by one (a new kind is a compile
     * error here until it is); kinds from outside the registry, and mixtures, by their support.
     */
    public static Head of(Distribution<?> prior, int maxCategories) {
        if (prior.dimension() != 0 || prior.valueType().isArray()) {
            return null;
        }
        DistributionKind kind = DistributionKind.named(prior.kind()).orElse(null);
        if (kind == null) {
            return bySupport(prior);
        }
        return switch (kind) {
            case NORMAL, UNIFORM, TRUNCATED_NORMAL, LOG_NORMAL, EXPONENTIAL, GAMMA, BETA -> bySupport(prior);
            case BERNOULLI -> BERNOULLI;
            case BINOMIAL -> BINOMIAL;
            case POISSON -> POISSON;
            case CATEGORICAL -> prior.support().upper() + 1 <= maxCategories ? CATEGORICAL : null;
            case DIRICHLET, MULTIVARIATE_NORMAL -> null;
            case MIXTURE -> bySupport(prior);
        };
    }

    /**
     * The head for a prior known only by its support: the real heads, the Bernoulli head for
     * booleans and the Poisson head for counts from zero without bound (the last two work from the
     * prior's mean alone).
     */
    private static Head bySupport(Distribution<?> prior) {
        Support s = prior.support();
        switch (s.kind()) {
            case REAL:
                return Double.isInfinite(s.lower()) && Double.isInfinite(s.upper()) ? NORMAL : TRUNCATED;
            case INTEGER:
                return s.lower() == 0 && Double.isInfinite(s.upper()) ? POISSON : null;
            case BOOLEAN:
                return prior.valueType() == ValueType.BOOLEAN ? BERNOULLI : null;
            default:
                return null;
        }
    }
}
