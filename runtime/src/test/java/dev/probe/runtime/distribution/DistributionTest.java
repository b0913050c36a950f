package dev.probe.runtime.distribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.apache.commons.statistics.distribution.BetaDistribution;
import org.apache.commons.statistics.distribution.BinomialDistribution;
import org.apache.commons.statistics.distribution.ContinuousDistribution;
import org.apache.commons.statistics.distribution.DiscreteDistribution;
import org.apache.commons.statistics.distribution.ExponentialDistribution;
import org.apache.commons.statistics.distribution.GammaDistribution;
import org.apache.commons.statistics.distribution.LogNormalDistribution;
import org.apache.commons.statistics.distribution.NormalDistribution;
import org.apache.commons.statistics.distribution.PoissonDistribution;
import org.apache.commons.statistics.distribution.TruncatedNormalDistribution;
import org.apache.commons.statistics.distribution.UniformContinuousDistribution;
import org.junit.jupiter.api.Test;

class DistributionTest {

    private static final double[] POINTS = {-3.5, -1, -0.25, 0, 1e-3, 0.3, 0.5, 0.999, 1, 1.7, 2.5, 4, 9.5, 30};

    private static void assertLogDensityMatches(RealDistribution ours, ContinuousDistribution exact) {
        for (double x : POINTS) {
            double expected = exact.logDensity(x);
            double actual = ours.logDensity(x);
            if (expected == Double.NEGATIVE_INFINITY) {
                assertEquals(Double.NEGATIVE_INFINITY, actual, ours + " at " + x);
            } else {
                assertEquals(expected, actual, 1e-11 * Math.max(1, Math.abs(expected)), ours + " at " + x);
            }
        }
        assertEquals(exact.getMean(), ours.mean(), 1e-12 * Math.max(1, Math.abs(exact.getMean())), ours + " mean");
        assertEquals(exact.getVariance(), ours.variance(), 1e-12 * Math.max(1, exact.getVariance()), ours + " variance");
    }

    private static void assertLogMassMatches(IntegerDistribution ours, DiscreteDistribution exact, int upTo) {
        for (int k = -2; k <= upTo; k++) {
            double expected = exact.logProbability(k);
            double actual = ours.logMass(k);
            if (expected == Double.NEGATIVE_INFINITY) {
                assertEquals(Double.NEGATIVE_INFINITY, actual, ours + " at " + k);
            } else {
                assertEquals(expected, actual, 1e-10 * Math.max(1, Math.abs(expected)), ours + " at " + k);
            }
        }
        assertEquals(exact.getMean(), ours.mean(), 1e-12 * Math.max(1, exact.getMean()));
        assertEquals(exact.getVariance(), ours.variance(), 1e-12 * Math.max(1, exact.getVariance()));
    }

    @Test
    void continuousLogDensitiesMatchCommonsStatistics() {
        assertLogDensityMatches(Normal.of(1, Math.sqrt(5)), NormalDistribution.of(1, Math.sqrt(5)));
        assertLogDensityMatches(Uniform.of(-1, 2.6), UniformContinuousDistribution.of(-1, 2.6));
        // LANGUAGE.md: Uniform's support is [low, high), so high itself has no density.
        assertEquals(Double.NEGATIVE_INFINITY, Uniform.of(-1, 2.6).logDensity(2.6));
        assertLogDensityMatches(LogNormal.of(0.3, 0.8), LogNormalDistribution.of(0.3, 0.8));
        assertLogDensityMatches(Exponential.of(2.5), ExponentialDistribution.of(1 / 2.5));
        assertLogDensityMatches(Gamma.of(2.5, 1.5), GammaDistribution.of(2.5, 1 / 1.5));
        assertLogDensityMatches(Beta.of(2, 5), BetaDistribution.of(2, 5));
        assertLogDensityMatches(TruncatedNormal.of(0.5, 2, -1, 3), TruncatedNormalDistribution.of(0.5, 2, -1, 3));
    }

    @Test
    void discreteLogMassesMatchCommonsStatistics() {
        assertLogMassMatches(Poisson.of(4), PoissonDistribution.of(4), 40);
        assertLogMassMatches(Poisson.of(250.5), PoissonDistribution.of(250.5), 400);
        assertLogMassMatches(Binomial.of(20, 0.3), BinomialDistribution.of(20, 0.3), 25);
        assertLogMassMatches(Binomial.of(5, 0), BinomialDistribution.of(5, 0), 6);
    }

    @Test
    void bernoulliAndCategoricalMassesAreExact() {
        Bernoulli b = Bernoulli.of(0.3);
        assertEquals(Math.log(0.3), b.logProb(true), 1e-15);
        assertEquals(Math.log(0.7), b.logProb(false), 1e-15);
        Categorical c = Categorical.of(1, 3, 0, 4);
        assertEquals(Math.log(3.0 / 8), c.logMass(1), 1e-15);
        assertEquals(Double.NEGATIVE_INFINITY, c.logMass(2));
        assertEquals(Double.NEGATIVE_INFINITY, c.logMass(4));
        assertEquals((3 + 12) / 8.0, c.mean(), 1e-15);
    }

    @Test
    void vectorDensitiesAreExact() {
        // MVN with a diagonal covariance equals independent normals.
        MultivariateNormal mvn = MultivariateNormal.of(new double[] {1, -2}, new double[][] {{4, 0}, {0, 0.25}});
        double[] x = {0.3, -1.5};
        double expected = NormalDistribution.of(1, 2).logDensity(0.3) + NormalDistribution.of(-2, 0.5).logDensity(-1.5);
        assertEquals(expected, mvn.logProb(x), 1e-12);
        // Correlated: log N(x; 0, [[1, r], [r, 1]]) in closed form.
        double r = 0.6;
        MultivariateNormal corr = MultivariateNormal.of(new double[] {0, 0}, new double[][] {{1, r}, {r, 1}});
        double q = (x[0] * x[0] - 2 * r * x[0] * x[1] + x[1] * x[1]) / (1 - r * r);
        assertEquals(-Math.log(2 * Math.PI) - 0.5 * Math.log(1 - r * r) - 0.5 * q, corr.logProb(x), 1e-12);
        // Dirichlet(1, 1, 1) is uniform on the simplex: density Gamma(3) = 2.
        assertEquals(Math.log(2), Dirichlet.of(1, 1, 1).logProb(new double[] {0.2, 0.3, 0.5}), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, Dirichlet.of(1, 1, 1).logProb(new double[] {0.2, 0.3, 0.6}));
        NormalArray na = NormalArray.of(new double[] {0, 1}, new double[] {2});
        assertEquals(NormalDistribution.of(0, 2).logDensity(0.5) + NormalDistribution.of(1, 2).logDensity(-1),
                na.logProb(new double[] {0.5, -1}), 1e-12);
        PoissonArray pa = PoissonArray.of(new double[] {1, 5});
        assertEquals(PoissonDistribution.of(1).logProbability(2) + PoissonDistribution.of(5).logProbability(7),
                pa.logProb(new long[] {2, 7}), 1e-12);
        BernoulliArray ba = BernoulliArray.of(new double[] {0.2, 0.9});
        assertEquals(Math.log(0.2) + Math.log(0.1), ba.logProb(new boolean[] {true, false}), 1e-15);
        UniformArray ua = UniformArray.of(new double[] {0}, new double[] {2, 4});
        assertEquals(-Math.log(2) - Math.log(4), ua.logProb(new double[] {1, 3.9}), 1e-15);
        assertEquals(Double.NEGATIVE_INFINITY, ua.logProb(new double[] {2, 1}));
    }

    @Test
    void mixtureDensityIsTheWeightedSum() {
        Mixture<Double> m = Mixture.of(new double[] {1, 3}, List.of(Normal.of(-1, 1), Normal.of(2, 0.5)));
        double x = 0.4;
        double expected = Math.log(0.25 * NormalDistribution.of(-1, 1).density(x) + 0.75 * NormalDistribution.of(2, 0.5).density(x));
        assertEquals(expected, m.logProb(x), 1e-12);
        assertEquals(0.25 * -1 + 0.75 * 2, m.mean(), 1e-15);
        // Var = E[Var] + Var[E] = 0.25*1 + 0.75*0.25 + 0.25*(-1-1.25)^2 + 0.75*(2-1.25)^2
        assertEquals(0.25 + 0.1875 + 0.25 * 5.0625 + 0.75 * 0.5625, m.variance(), 1e-12);
    }

    /**
     * Draws N values and checks the sample mean against the exact mean within 5 standard errors
     * (sd / sqrt N); a correct sampler fails this with probability about 6e-7.
     */
    private static void assertSamplesHaveMean(Distribution<?> d, Function<Object, Double> asNumber) {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(42L, 7L);
        int n = 200_000;
        double sum = 0;
        double sumSq = 0;
        for (int i = 0; i < n; i++) {
            Object v = d.sample(rng);
            assertTrue(d.logProbOf(v) > Double.NEGATIVE_INFINITY, d + " drew " + v + " outside its support");
            double x = asNumber.apply(v);
            sum += x;
            sumSq += x * x;
        }
        double mean = sum / n;
        double var = sumSq / n - mean * mean;
        double se = Math.sqrt(d.variance() / n);
        assertEquals(d.mean(), mean, 5 * se, d + " sample mean");
        // The variance of the sample variance is about 2 var^2 / n for light tails; 8 of those
        // standard errors leaves room for the heavier tails of the lognormal and gamma.
        assertEquals(d.variance(), var, 8 * d.variance() * Math.sqrt(2.0 / n) + 1e-12, d + " sample variance");
    }

    @Test
    void samplersDrawFromTheirDistributions() {
        Function<Object, Double> num = v -> v instanceof Boolean ? ((Boolean) v ? 1.0 : 0.0) : ((Number) v).doubleValue();
        for (Distribution<?> d : List.of(Normal.of(1, Math.sqrt(5)), Uniform.of(-1, 3), LogNormal.of(0, 0.5),
                Exponential.of(2), Gamma.of(0.5, 2), Gamma.of(3, 0.5), Beta.of(0.7, 2), TruncatedNormal.of(0, 1, 0.5, 4),
                // Shifted and scaled, one-sided, and deep in either tail (Commons Statistics 1.1's own
                // sampler fails the first of these).
                TruncatedNormal.of(0.7, 0.1, 0, 1), TruncatedNormal.of(3, 2, 0, Double.POSITIVE_INFINITY),
                TruncatedNormal.of(-2, 0.5, -1, Double.POSITIVE_INFINITY), TruncatedNormal.of(0, 1, 9, 12),
                TruncatedNormal.of(5, 1, Double.NEGATIVE_INFINITY, 1), TruncatedNormal.of(0, 1, -0.1, 0.1),
                Bernoulli.of(0.3), Binomial.of(7, 0.4), Binomial.of(100, 0.3), Poisson.of(4), Poisson.of(80),
                Categorical.of(0.2, 0.5, 0.3), Mixture.of(new double[] {1, 1}, List.of(Normal.of(-2, 1), Normal.of(3, 1))))) {
            assertSamplesHaveMean(d, num);
        }
    }

    @Test
    void vectorSamplersDrawFromTheirDistributions() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(3L, 9L);
        for (Distribution<double[]> d : List.of(Dirichlet.of(1, 2, 3),
                MultivariateNormal.of(new double[] {1, -1}, new double[][] {{2, 0.8}, {0.8, 1}}),
                NormalArray.of(new double[] {0, 5}, new double[] {1, 2}), UniformArray.of(new double[] {0}, new double[] {1, 2}))) {
            int n = 100_000;
            double[] sum = new double[d.dimension()];
            for (int i = 0; i < n; i++) {
                double[] x = d.sample(rng);
                assertTrue(d.logProb(x) > Double.NEGATIVE_INFINITY);
                for (int j = 0; j < x.length; j++) {
                    sum[j] += x[j];
                }
            }
            double[] mean = d.means();
            double[] var = d.variances();
            for (int j = 0; j < sum.length; j++) {
                // 5 standard errors of the mean of each component.
                assertEquals(mean[j], sum[j] / n, 5 * Math.sqrt(var[j] / n), d + " component " + j);
            }
        }
    }

    @Test
    void badParametersNameTheParameterAndValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Normal.of(0, -1));
        assertEquals("Normal: stddev must be positive and finite, got -1.0", e.getMessage());
        assertEquals("Uniform: low must be less than high, got low = 2.0 and high = 1.0",
                assertThrows(IllegalArgumentException.class, () -> Uniform.of(2, 1)).getMessage());
        assertEquals("Bernoulli: p must be a probability in [0, 1], got 1.5",
                assertThrows(IllegalArgumentException.class, () -> Bernoulli.of(1.5)).getMessage());
        assertEquals("Gamma: shape must be positive and finite, got 0.0",
                assertThrows(IllegalArgumentException.class, () -> Gamma.of(0, 1)).getMessage());
        assertEquals("Poisson: rate must be positive and at most 1073741823, got NaN",
                assertThrows(IllegalArgumentException.class, () -> Poisson.of(Double.NaN)).getMessage());
        assertEquals("Categorical: weights[1] must be non-negative and finite, got -0.5",
                assertThrows(IllegalArgumentException.class, () -> Categorical.of(1, -0.5)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> MultivariateNormal.of(new double[] {0, 0}, new double[][] {{1, 2}, {2, 1}})).getMessage()
                .contains("positive definite"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> NormalArray.of(new double[] {0, 1, 2}, new double[] {1, 2})).getMessage()
                .contains("one length"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Mixture.of(new double[] {1}, List.of(Normal.of(0, 1), Normal.of(1, 1)))).getMessage()
                .contains("one weight per component"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Binomial.of(-1, 0.5)).getMessage()
                .startsWith("Binomial: n must be"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TruncatedNormal.of(0, 1, 40, 41)).getMessage()
                .contains("no probability mass"));
    }

    @Test
    void castsAcceptWhatUsersWriteAndRejectTheRest() {
        assertEquals(3L, Poisson.of(2).cast(3.0));
        assertEquals(true, Bernoulli.of(0.5).cast(1));
        assertEquals(false, Bernoulli.of(0.5).cast(false));
        assertEquals(8.0, Normal.of(0, 1).cast(8L));
        assertArrayEquals(new double[] {1, 2}, NormalArray.of(new double[] {0, 0}, new double[] {1}).cast(List.of(1, 2.0)));
        assertEquals("Poisson value must be an integer, got 2.5",
                assertThrows(IllegalArgumentException.class, () -> Poisson.of(2).cast(2.5)).getMessage());
        assertEquals("Bernoulli value must be true/false or 1/0, got 2",
                assertThrows(IllegalArgumentException.class, () -> Bernoulli.of(0.5).cast(2L)).getMessage());
        assertEquals("Normal value must be an array of length 2, got length 3", assertThrows(IllegalArgumentException.class,
                () -> NormalArray.of(new double[] {0, 0}, new double[] {1}).cast(List.of(1, 2, 3))).getMessage());
    }

    /** A distribution that gives no moments: its mean is an error, not an endless mutual recursion. */
    @Test
    void aDistributionWithoutMomentsSaysSoInsteadOfRecursing() {
        Distribution<Double> bare = new Distribution<>() {
            @Override
            public String kind() {
                return "Bare";
            }

            @Override
            public ValueType valueType() {
                return ValueType.REAL;
            }

            @Override
            public Support support() {
                return Support.realLine();
            }

            @Override
            public Double sample(UniformRandomProvider rng) {
                return 0.0;
            }

            @Override
            public double logProb(Double value) {
                return 0;
            }

            @Override
            public Double cast(Object value) {
                return (Double) value;
            }
        };
        assertTrue(assertThrows(UnsupportedOperationException.class, bare::mean).getMessage().contains("Bare"));
        assertThrows(UnsupportedOperationException.class, bare::means);
        assertThrows(UnsupportedOperationException.class, bare::variance);
        assertThrows(UnsupportedOperationException.class, bare::variances);
        // A scalar mixture still gives both views.
        Mixture<Double> m = Mixture.of(new double[] {0.25, 0.75}, List.of(Normal.of(0, 1), Normal.of(4, 1)));
        assertEquals(3.0, m.mean(), 1e-12);
        assertEquals(3.0, m.means()[0], 1e-12);
    }
}
