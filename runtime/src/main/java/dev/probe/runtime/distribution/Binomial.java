package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.MarsagliaTsangWangDiscreteSampler;
import org.apache.commons.rng.sampling.distribution.SharedStateDiscreteSampler;
import org.apache.commons.statistics.distribution.BinomialDistribution;

/** The number of successes in n independent trials of probability p. */
public final class Binomial extends IntegerDistribution {

    private final int n;
    private final double p;
    private final BinomialDistribution exact;
    /** Built on first use, then rebound to each generator; a benign race at worst builds it twice. */
    private SharedStateDiscreteSampler sampler;

    private Binomial(long n, double p) {
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw Params.invalid("Binomial", "n", "an integer from 0 to " + Integer.MAX_VALUE, n);
        }
        this.n = (int) n;
        this.p = Params.probability("Binomial", "p", p);
        this.exact = BinomialDistribution.of(this.n, p);
    }

    /** Binomial(n, p). */
    public static Binomial of(long n, double p) {
        return new Binomial(n, p);
    }

    @Override
    public String kind() {
        return "Binomial";
    }

    @Override
    public Support support() {
        return Support.integers(0, n);
    }

    @Override
    public Long sample(UniformRandomProvider rng) {
        if (n < 16) {
            // Counting trials is cheaper than building the sampler's tables for a handful of trials.
            long k = 0;
            for (int i = 0; i < n; i++) {
                if (rng.nextDouble() < p) {
                    k++;
                }
            }
            return k;
        }
        SharedStateDiscreteSampler s = sampler;
        if (s == null) {
            s = MarsagliaTsangWangDiscreteSampler.Binomial.of(rng, n, p);
            sampler = s;
        }
        return (long) s.withUniformRandomProvider(rng).sample();
    }

    @Override
    public double logMass(long k) {
        return k < 0 || k > n ? Double.NEGATIVE_INFINITY : exact.logProbability((int) k);
    }

    @Override
    public double mean() {
        return n * p;
    }

    @Override
    public double variance() {
        return n * p * (1 - p);
    }

    public int n() {
        return n;
    }

    public double p() {
        return p;
    }

    @Override
    public String toString() {
        return "Binomial(" + n + ", " + p + ")";
    }
}
