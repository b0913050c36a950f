package dev.probe.runtime.distribution;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.MarsagliaTsangWangDiscreteSampler;
import org.apache.commons.rng.sampling.distribution.SharedStateDiscreteSampler;
import org.apache.commons.statistics.distribution.BinomialDistribution;

/** The number of successes in n independent trials of probability p. */
public final class Binomial extends IntegerDistribution {

    private final int n;
    private final double p;
    /** Rebuilt from n and p where the distribution is read back ({@link #readResolve}). */
    private final transient BinomialDistribution exact;
    /** Built on first use, then rebound to each generator; a benign race at worst builds it twice. */
    private transient SharedStateDiscreteSampler sampler;

    private Binomial(long n, double p) {
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw Params.invalid("Binomial", "n", "an integer from 0 to " + Integer.MAX_VALUE, n);
        }
        this.n = (int) n;
        this.p = Params.probability("Binomial", "p", p);
        this.exact = BinomialDistribution.of(this.n, p);
    }

    /** Read back from another process: the same distribution, its helpers built again. */
    private Object readResolve() {
        return new Binomial(n, p);
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
        if (p == 0 || p == 1) {
            return p == 0 ? 0L : n;
        }
        if (n * Math.min(p, 1 - p) <= SMALL_MEAN) {
            // Few successes (or failures) expected: Marsaglia-Tsang-Wang's tables fail for n >= 16
            // and p below about 1e-13 (an index out of bounds), and inversion is cheap here.
            return p <= 0.5 ? invert(rng, p) : n - invert(rng, 1 - p);
        }
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
            try {
                s = MarsagliaTsangWangDiscreteSampler.Binomial.of(rng, n, p);
            } catch (IllegalArgumentException e) {
                // (1 - p)^n underflows (huge n): the exact inverse of the distribution function.
                s = new InverseSampler(exact, rng);
            }
            sampler = s;
        }
        return (long) s.withUniformRandomProvider(rng).sample();
    }

    /** Expected successes up to which sampling inverts the distribution function by sequential search. */
    private static final double SMALL_MEAN = 8;

    /** A Binomial(n, q) draw, q at most 0.5 and n q small, by sequential search from k = 0. */
    private long invert(UniformRandomProvider rng, double q) {
        double u = rng.nextDouble();
        double pmf = Math.exp(n * Math.log1p(-q)); // P(0), in (0, 1] as n q is small
        double odds = q / (1 - q);
        long k = 0;
        double cdf = pmf;
        while (u >= cdf && k < n) {
            pmf *= (n - k) / (double) (k + 1) * odds;
            k++;
            if (pmf <= 0) {
                break; // The rest of the tail is below the smallest double.
            }
            cdf += pmf;
        }
        return k;
    }

    /** Inversion through Commons Statistics' exact inverse distribution function. */
    private static final class InverseSampler implements SharedStateDiscreteSampler {
        private final BinomialDistribution d;
        private final UniformRandomProvider rng;

        InverseSampler(BinomialDistribution d, UniformRandomProvider rng) {
            this.d = d;
            this.rng = rng;
        }

        @Override
        public int sample() {
            return d.inverseCumulativeProbability(rng.nextDouble());
        }

        @Override
        public SharedStateDiscreteSampler withUniformRandomProvider(UniformRandomProvider other) {
            return new InverseSampler(d, other);
        }
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
