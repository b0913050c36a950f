package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.probe.bridge.SimulatorLauncher;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Self-drawn runs (protocol version 2): where the engine decides no choice, real C++ and Python
 * simulators draw their own choices from each run's seed and stream them. The posterior is the
 * round-trip mode's in distribution (both meet the exact one), and a seed fixes it whatever the
 * number of simulators.
 */
class SelfDrawTest {

    /** The C++ simulators of models/cpp, built as SimulatorBridgeTest builds them. */
    @BeforeAll
    static void buildSimulators() throws IOException, InterruptedException {
        SimulatorBridgeTest.buildSimulators();
    }

    private static final String GAUSSIAN = SimulatorBridgeTest.BUILD.resolve("gaussian").toString();

    /** Importance sampling from the prior of the gaussian given obs0 = 8, obs1 = 9, seed 11. */
    private static Posterior is(Model m, int traces, int threads) {
        return Inference.importanceSampling(m).observe("obs0", 8.0).observe("obs1", 9.0).traces(traces).threads(threads).seed(11).run();
    }

    private static double[] mus(Posterior p) {
        double[] v = new double[p.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ((Number) p.value("mu", i)).doubleValue();
        }
        return v;
    }

    @Test
    void aSelfDrawnPosteriorMeetsTheRoundTripOneAndTheExactOne() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 2)) {
            Posterior fast = is(sims.model(30_000, true), 20_000, 2);
            Posterior slow = is(sims.model(30_000, false), 20_000, 2);
            // Drawn by the simulator, not the runtime: other values than the round trip's under one seed.
            assertNotEquals(slow.value("mu", 0), fast.value("mu", 0));
            // The exact posterior is N(7.25, 0.9129^2). Each mode's mean lies within 5 Monte Carlo
            // standard errors (0.9129 / sqrt(ESS)) of 7.25, and its second moment about 7.25 within 5
            // of theirs (the standard deviation of (mu - 7.25)^2 is sqrt(2) 0.9129^2 under the posterior);
            // the two modes' means lie within 5 standard errors of their difference of each other.
            double var = 0.9129 * 0.9129;
            double[] se = new double[2];
            Posterior[] both = {fast, slow};
            for (int k = 0; k < 2; k++) {
                Posterior p = both[k];
                se[k] = 0.9129 / Math.sqrt(p.ess());
                assertEquals(7.25, p.marginal("mu").mean(), 5 * se[k], k == 0 ? "self-drawn" : "round trip");
                double m2 = 0;
                double[] mu = mus(p);
                for (int i = 0; i < mu.length; i++) {
                    m2 += p.weight(i) * (mu[i] - 7.25) * (mu[i] - 7.25);
                }
                assertEquals(var, m2, 5 * Math.sqrt(2) * var / Math.sqrt(p.ess()), k == 0 ? "self-drawn" : "round trip");
            }
            assertEquals(slow.marginal("mu").mean(), fast.marginal("mu").mean(), 5 * Math.hypot(se[0], se[1]));
        }
    }

    @Test
    void aSeedFixesASelfDrawnPosteriorAtOneAndTwoSimulators() throws Exception {
        Posterior one;
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 1)) {
            one = is(sims.model(30_000, true), 3000, 1);
        }
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 2)) {
            Posterior two = is(sims.model(30_000, true), 3000, 2);
            assertArrayEquals(one.logWeights(), two.logWeights());
            assertArrayEquals(mus(one), mus(two));
        }
    }

    /**
     * Prior sampling with nothing observed: the simulator draws its observations too. Their prior
     * predictive is N(1, 5 + 2): the mean of obs0 over 20,000 runs lies within 5 standard errors
     * (sqrt(7 / 20,000)) of 1.
     */
    @Test
    void priorSamplingDrawsTheObservationsInTheSimulator() throws Exception {
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 2)) {
            Posterior p = Inference.prior(sims.model(30_000, true)).traces(20_000).threads(2).seed(4).run();
            double sum = 0;
            for (int i = 0; i < p.size(); i++) {
                sum += ((Number) p.value("obs0", i)).doubleValue();
            }
            assertEquals(1.0, sum / p.size(), 5 * Math.sqrt(7.0 / p.size()));
        }
    }

    /** The Python client draws with the C++ client's generator and samplers: the same values under one seed. */
    @Test
    void thePythonAndCppClientsDrawTheSameValues() throws Exception {
        Posterior cpp;
        try (SimulatorLauncher sims = SimulatorLauncher.start(GAUSSIAN, 1)) {
            cpp = is(sims.model(30_000, true), 500, 1);
        }
        try (SimulatorLauncher sims = SimulatorLauncher.start(PythonSimulatorTest.model("gaussian"), 1)) {
            Posterior py = is(sims.model(30_000, true), 500, 1);
            assertArrayEquals(cpp.logWeights(), py.logWeights());
            assertArrayEquals(mus(cpp), mus(py));
        }
    }

    /** The names tests/src/test/python/distributions.py and models/cpp/distributions.cpp sample, one per kind and form. */
    private static final java.util.List<String> KIND_SAMPLES = java.util.List.of("normal", "normals", "uniform", "uniforms",
            "truncated", "lognormal", "exponential", "gamma", "beta", "bernoulli", "bernoullis", "binomial", "poisson", "poissons",
            "categorical", "dirichlet", "mvn", "mixture");

    /**
     * Every kind of the registry, and the array forms, is drawn by the simulator in a self-drawn run:
     * the Python client has a sampler for each distribution distributions.py samples (none falls back
     * to asking the runtime), the C++ and the Python clients draw the same values from one seed, and
     * the values follow each distribution: each coordinate's 4,000 self-drawn values pass a two-sample
     * Kolmogorov-Smirnov test against 4,000 of the runtime's own sampler at level 1e-6 (critical
     * distance 2.69 sqrt(2 / 4000), about 0.060; booleans as 0 and 1).
     */
    @Test
    void everyKindIsSelfDrawnAndFollowsItsDistribution() throws Exception {
        String drawn = PythonSimulatorTest.python("import sys; sys.path.insert(0, '" + PythonSimulatorTest.ROOT.resolve("tests/src/test/python")
                + "')\nimport probe, distributions\nfrom probe import _client\n"
                + "calls = []\n"
                + "def draw(d, name=None, control=True):\n    v = _client._draw(d, _client._Rng(7))\n    calls.append((name, v))\n    return v\n"
                + "probe.sample = draw\n"
                + "distributions.probe.observe = lambda d, name: __import__('numpy').zeros((2, 3))\n"
                + "distributions.probe.tag = lambda *a: None\n"
                + "try:\n    distributions.distributions()\nexcept AssertionError:\n    pass\n"
                + "print(' '.join(n for n, v in calls if n is not None and v is None) or 'all drawn')");
        assertEquals("all drawn", drawn, "kinds the Python client asks the runtime for in a self-drawn run");
        int n = 4000;
        Posterior py;
        try (SimulatorLauncher sims = SimulatorLauncher.start(PythonSimulatorTest.testSim("distributions.py"), 2)) {
            py = Inference.prior(sims.model(30_000, true)).traces(n).threads(2).seed(5).run();
        }
        Posterior cpp;
        try (SimulatorLauncher sims = SimulatorLauncher.start(SimulatorBridgeTest.BUILD.resolve("distributions").toString(), 2)) {
            cpp = Inference.prior(sims.model(30_000, true)).traces(n).threads(2).seed(5).run();
        }
        Posterior runtime = Inference.prior(PythonSimulatorTest.DISTRIBUTIONS).traces(n).seed(5).run();
        double critical = 2.69 * Math.sqrt(2.0 / n);
        for (String name : KIND_SAMPLES) {
            for (int i = 0; i < n; i++) {
                assertTrue(java.util.Objects.deepEquals(py.value(name, i), cpp.value(name, i)), name + " of run " + i + ": "
                        + dev.probe.runtime.distribution.Values.format(py.value(name, i)) + " from Python, "
                        + dev.probe.runtime.distribution.Values.format(cpp.value(name, i)) + " from C++");
            }
            double[][] a = coordinates(py, name);
            double[][] b = coordinates(runtime, name);
            for (int c = 0; c < a.length; c++) {
                double d = ksDistance(a[c], b[c]);
                assertTrue(d < critical, name + "[" + c + "]: Kolmogorov-Smirnov distance " + d + " to the runtime's sampler, over "
                        + critical);
            }
        }
    }

    /** The values of name, coordinate by coordinate (a scalar has one), booleans as 0 and 1. */
    private static double[][] coordinates(Posterior p, String name) {
        double[] first = doubles(p.value(name, 0));
        double[][] out = new double[first.length][p.size()];
        for (int i = 0; i < p.size(); i++) {
            double[] v = doubles(p.value(name, i));
            for (int c = 0; c < v.length; c++) {
                out[c][i] = v[c];
            }
        }
        return out;
    }

    private static double[] doubles(Object v) {
        if (v instanceof Boolean b) {
            return new double[] {b ? 1 : 0};
        }
        if (v instanceof Number x) {
            return new double[] {x.doubleValue()};
        }
        if (v instanceof boolean[] b) {
            double[] out = new double[b.length];
            for (int i = 0; i < b.length; i++) {
                out[i] = b[i] ? 1 : 0;
            }
            return out;
        }
        if (v instanceof long[] l) {
            return java.util.Arrays.stream(l).asDoubleStream().toArray();
        }
        return (double[]) v;
    }

    /** The largest distance between the empirical distribution functions of a and b (ties stepped over together). */
    private static double ksDistance(double[] a, double[] b) {
        double[] x = a.clone();
        double[] y = b.clone();
        java.util.Arrays.sort(x);
        java.util.Arrays.sort(y);
        int i = 0;
        int j = 0;
        double d = 0;
        while (i < x.length && j < y.length) {
            double t = Math.min(x[i], y[j]);
            while (i < x.length && x[i] <= t) {
                i++;
            }
            while (j < y.length && y[j] <= t) {
                j++;
            }
            d = Math.max(d, Math.abs((double) i / x.length - (double) j / y.length));
        }
        return d;
    }
}
