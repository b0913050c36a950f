package dev.probe.runtime.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every distribution's sampler and density at the extremes of its parameters (tiny and huge, near
 * the bounds of the support): each draw lies in the support with a density that is not NaN and
 * not -inf, and draws average to the exact mean within 5 standard errors where it is finite.
 */
@Timeout(120)
class SamplersAtExtremesTest {

    private static final int DRAWS = 2000;

    static List<java.util.function.Supplier<Distribution<?>>> extremes() {
        List<java.util.function.Supplier<Distribution<?>>> d = new ArrayList<>();
        for (double p : new double[] {1e-300, 1e-14, 1e-9, 0.5, 1 - 1e-9, 1 - 1e-14, 1}) {
            for (long n : new long[] {0, 1, 15, 16, 1000, 1_000_000, Integer.MAX_VALUE}) {
                d.add(() -> Binomial.of(n, p));
            }
            d.add(() -> Bernoulli.of(p));
        }
        d.add(() -> Binomial.of(1000, 0));
        for (double r : new double[] {1e-300, 1e-10, 1, 40, 1e6, Poisson.MAX_RATE}) {
            d.add(() -> Poisson.of(r));
        }
        for (double a : new double[] {1e-300, 1e-5, 0.01, 1, 1e5, 1e300}) {
            d.add(() -> Gamma.of(a, 1));
            d.add(() -> Gamma.of(1, a));
            d.add(() -> Exponential.of(a));
            d.add(() -> Beta.of(a, 1));
            d.add(() -> Beta.of(1, a));
            d.add(() -> Beta.of(a, a));
            d.add(() -> Dirichlet.of(a, a, a));
            d.add(() -> Dirichlet.of(a, 1));
        }
        for (double s : new double[] {1e-300, 1e-10, 1, 1e10, 1e300}) {
            d.add(() -> Normal.of(0, s));
            d.add(() -> Normal.of(1e300, s));
            d.add(() -> LogNormal.of(0, Math.min(s, 100)));
            d.add(() -> Uniform.of(-s, s));
            d.add(() -> TruncatedNormal.of(0, s, 5, 6));
            d.add(() -> TruncatedNormal.of(0, 1, -s, s));
        }
        d.add(() -> TruncatedNormal.of(0, 1, 30, 31));
        d.add(() -> TruncatedNormal.of(0, 1, -31, -30));
        d.add(() -> Categorical.of(new double[] {1e-300, 1, 1e-300}));
        d.add(() -> Categorical.of(new double[] {1e300, 1e300}));
        return d;
    }

    @Test
    void everyDrawLiesInTheSupportWithADensity() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(1L, 2L);
        List<String> failures = new ArrayList<>();
        for (java.util.function.Supplier<Distribution<?>> make : extremes()) {
            Distribution<?> d;
            try {
                d = make.get();
            } catch (IllegalArgumentException e) {
                continue; // A parameter refused with a message is an answer too.
            }
            try {
                check(d, rng);
            } catch (RuntimeException | AssertionError | StackOverflowError e) {
                failures.add(d + ": " + e);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " failures:\n" + String.join("\n", failures));
    }

    private static <T> void check(Distribution<T> d, UniformRandomProvider rng) {
        double sum = 0;
        double sumSq = 0;
        boolean scalar = true;
        for (int i = 0; i < DRAWS; i++) {
            T x = d.sample(rng);
            double lp = d.logProb(x);
            assertFalse(Double.isNaN(lp), "NaN density at " + Values.format(x));
            assertTrue(lp > Double.NEGATIVE_INFINITY, "a draw outside the support: " + Values.format(x));
            if (x instanceof Number) {
                double v = ((Number) x).doubleValue();
                sum += v;
                sumSq += v * v;
            } else {
                scalar = false;
            }
        }
        if (scalar && d instanceof RealDistribution || d instanceof IntegerDistribution) {
            double mean = d instanceof RealDistribution ? ((RealDistribution) d).mean() : ((IntegerDistribution) d).mean();
            double variance = d instanceof RealDistribution ? ((RealDistribution) d).variance() : ((IntegerDistribution) d).variance();
            // The larger of the exact variance and the draws' own (formulas lose digits at the extremes).
            variance = Math.max(variance, sumSq / DRAWS - (sum / DRAWS) * (sum / DRAWS));
            if (Double.isFinite(mean) && Double.isFinite(variance) && Math.abs(mean) < 1e150 && variance < 1e150) {
                // 5 standard errors of the mean of DRAWS draws, and a rounding margin.
                assertEquals(mean, sum / DRAWS, 5 * Math.sqrt(variance / DRAWS) + 1e-9 * Math.abs(mean) + 1e-300, "mean");
            }
        }
    }
}
