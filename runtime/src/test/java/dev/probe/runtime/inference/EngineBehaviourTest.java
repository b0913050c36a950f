package dev.probe.runtime.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.MissingObservationException;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

class EngineBehaviourTest {

    /** A model with a data-dependent number of choices, named and unnamed, and a tag. */
    static final Model BRANCHY = ctx -> {
        long n = ctx.sample(Poisson.of(3), "n");
        double s = 0;
        for (long i = 0; i < n; i++) {
            s += ctx.sample(Normal.of(0, 1));
        }
        ctx.tag(s, "total");
        ctx.observe(Normal.of(s, 1), "y");
        return n;
    };

    private static void assertSamePosterior(Posterior a, Posterior b) {
        assertArrayEquals(a.logWeights(), b.logWeights());
        assertEquals(a.names(), b.names());
        for (String key : a.names()) {
            for (int i = 0; i < a.size(); i++) {
                assertEquals(a.value(key, i), b.value(key, i), key + " run " + i);
            }
        }
        assertEquals(a.ess(), b.ess());
    }

    @Test
    void importanceSamplingDependsOnTheSeedAloneNotTheThreadCount() {
        Posterior one = Inference.importanceSampling(BRANCHY).observe("y", 2.0).traces(5000).seed(11).threads(1).run();
        Posterior two = Inference.importanceSampling(BRANCHY).observe("y", 2.0).traces(5000).seed(11).threads(2).run();
        Posterior three = Inference.importanceSampling(BRANCHY).observe("y", 2.0).traces(5000).seed(11).threads(3).run();
        assertSamePosterior(one, two);
        assertSamePosterior(one, three);
        Posterior other = Inference.importanceSampling(BRANCHY).observe("y", 2.0).traces(5000).seed(12).threads(2).run();
        assertNotEquals(one.marginal("n").mean(), other.marginal("n").mean());
    }

    @Test
    void metropolisHastingsDependsOnTheSeedAloneNotTheThreadCount() {
        Posterior one = Inference.metropolisHastings(BRANCHY).observe("y", 2.0).traces(4000).seed(5).threads(1).run();
        Posterior two = Inference.metropolisHastings(BRANCHY).observe("y", 2.0).traces(4000).seed(5).threads(2).run();
        assertSamePosterior(one, two);
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000}, one.chainLengths());
    }

    @Test
    void priorSamplingDependsOnTheSeedAloneNotTheThreadCount() {
        assertSamePosterior(Inference.prior(BRANCHY).traces(3000).seed(1).threads(1).run(),
                Inference.prior(BRANCHY).traces(3000).seed(1).threads(2).run());
    }

    @Test
    void twoInferencesRunSideBySideInOneJvm() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Callable<Posterior> job = () -> Inference.importanceSampling(BRANCHY).observe("y", 1.0).traces(20_000).seed(3).threads(2).run();
            Future<Posterior> a = pool.submit(job);
            Future<Posterior> b = pool.submit(job);
            assertSamePosterior(a.get(), b.get());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void namesInstancesAndAddressesFollowTheLanguage() {
        Posterior p = Inference.prior(BRANCHY).traces(200).seed(2).keepTraces(true).recordAddresses(true).run();
        Address firstUnnamed = null;
        for (Trace t : p.traces()) {
            int unnamed = 0;
            for (Variable v : t.variables()) {
                if (v.isSample() && v.name() == null) {
                    // Every unnamed draw in the loop shares one call-site address; instances count up.
                    assertEquals(unnamed, v.instance());
                    assertTrue(v.address().key().endsWith("#Normal"), v.address().key());
                    assertTrue(v.address().key().contains("EngineBehaviourTest.lambda$"), v.address().key());
                    if (firstUnnamed == null) {
                        firstUnnamed = v.address();
                    }
                    assertEquals(firstUnnamed, v.address());
                    unnamed++;
                }
            }
            assertEquals(t.variable("n").value(), (long) unnamed);
            assertEquals(Variable.Role.TAG, t.variable("total").role());
            assertEquals(Variable.Role.OBSERVE, t.variable("y").role());
        }
        // Simulated observations and tags are reported like named samples; unnamed ones by address.
        assertEquals(List.of("n", "total", "y"), p.names());
        assertTrue(p.addresses().stream().allMatch(a -> a.startsWith(firstAddressKey(p))));
    }

    private static String firstAddressKey(Posterior p) {
        String a = p.addresses().get(0);
        return a.substring(0, a.indexOf('#'));
    }

    @Test
    void unnamedSamplesAtDifferentCallSitesGetDifferentAddresses() {
        Model m = ctx -> {
            double a = ctx.sample(Normal.of(0, 1));
            double b = helper(ctx);
            return a + b + helper(ctx);
        };
        Trace t = Inference.prior(m).traces(1).seed(1).keepTraces(true).run().traces().get(0);
        List<Variable> s = t.samples();
        assertEquals(3, s.size());
        assertNotEquals(s.get(0).address(), s.get(1).address());
        // The helper called from two places: two chains, each instance 0.
        assertNotEquals(s.get(1).address(), s.get(2).address());
        assertTrue(s.get(1).address().key().startsWith("EngineBehaviourTest.helper@"), s.get(1).address().key());
        assertEquals(0, s.get(2).instance());
    }

    private static double helper(Context ctx) {
        return ctx.sample(Normal.of(0, 1));
    }

    @Test
    void aMissingObservationIsAnErrorNamingItAndTheFix() {
        ModelException e = assertThrows(ModelException.class,
                () -> Inference.importanceSampling(BRANCHY).traces(10).seed(1).run());
        assertTrue(e.getMessage().contains("no value was given for observation 'y'"), e.getMessage());
        // The fix in the Java API's terms, never a command-line flag (the CLI words it as --observe).
        assertTrue(e.getMessage().contains("give one with .observe(\"y\", value)"), e.getMessage());
        assertFalse(e.getMessage().contains("--"), e.getMessage());
        MissingObservationException missing = assertInstanceOf(MissingObservationException.class, e.getCause());
        assertEquals("y", missing.name());
        assertTrue(e.getMessage().contains("run 0 of seed 1"), e.getMessage());
    }

    @Test
    void anObservationNoRunMakesIsAnErrorListingTheObservedNames() {
        ModelException e = assertThrows(ModelException.class,
                () -> Inference.importanceSampling(BRANCHY).observe("y", 1.0).observe("z", 1.0).traces(10).seed(1).run());
        assertEquals("a value was given for 'z', which no run observes; the model observes y", e.getMessage());
    }

    @Test
    void aFailingRunNamesTheFirstFailingRunWhateverTheThreads() {
        Model m = ctx -> {
            double x = ctx.sample(Normal.of(0, 1), "x");
            return ctx.sample(Normal.of(0, x > 2.5 ? -1 : 1), "y");
        };
        RunException one = assertThrows(RunException.class, () -> Inference.prior(m).traces(20_000).seed(9).threads(1).run());
        RunException two = assertThrows(RunException.class, () -> Inference.prior(m).traces(20_000).seed(9).threads(2).run());
        assertEquals(one.run(), two.run());
        assertEquals(one.getMessage(), two.getMessage());
        assertTrue(one.getMessage().startsWith("Normal: stddev must be positive and finite, got -1.0 (in run "), one.getMessage());
        assertTrue(one.getMessage().endsWith("of seed 9)"), one.getMessage());
        assertTrue(one.getMessage().endsWith("(" + one.where() + ")"), one.getMessage());
        assertEquals(9, one.seed());
    }

    @Test
    void impossibleObservationsAreReported() {
        Model m = ctx -> {
            ctx.observe(Poisson.of(ctx.sample(Normal.of(3, 0.1), "x")), "k");
            return null;
        };
        ModelException e = assertThrows(ModelException.class,
                () -> Inference.importanceSampling(m).observe("k", -1).traces(100).seed(1).run());
        assertTrue(e.getMessage().startsWith("every one of the 100 runs has zero weight"), e.getMessage());
    }

    @Test
    void uncontrolledChoicesAreNeverProposedNorMoved() {
        // With control false, MH never reuses x: it is redrawn each step, so y's posterior is the
        // prior's whatever the observation (x and y are independent of it).
        Model m = ctx -> {
            double x = ctx.sample(Normal.of(0, 1), "x", false);
            double mu = ctx.sample(Normal.of(0, 1), "mu");
            ctx.observe(Normal.of(mu, 1), "obs");
            return x;
        };
        Posterior p = Inference.metropolisHastings(m).observe("obs", 3.0).traces(20_000).seed(4).run();
        // x is a fresh N(0, 1) at every accepted step: 5 standard errors of a mean of ESS draws.
        assertEquals(0, p.marginal("x").mean(), 5 / Math.sqrt(p.marginal("x").ess()));
        // mu | obs = 3 is N(1.5, sqrt(0.5)).
        assertEquals(1.5, p.marginal("mu").mean(), 5 * Math.sqrt(0.5 / p.marginal("mu").ess()));
    }

    @Test
    void metropolisHastingsIsExactOnAModelWithNoControlledChoice() {
        // Only whole-trace moves can change x here; x | y = 2 is N(1, sqrt(0.5)).
        Model m = ctx -> {
            double x = ctx.sample(Normal.of(0, 1), "x", false);
            ctx.observe(Normal.of(x, 1), "y");
            return x;
        };
        Posterior p = Inference.metropolisHastings(m).observe("y", 2.0).traces(40_000).seed(6).run();
        double ess = p.marginal("x").ess();
        assertTrue(ess > 100, "ESS " + ess);
        // 5 standard errors of the mean at the chain's autocorrelation ESS.
        assertEquals(1.0, p.marginal("x").mean(), 5 * Math.sqrt(0.5 / ess));
    }

    @Test
    void aProposalIsUsedAndWeightedCorrectly() {
        // Propose mu from N(7, 1) instead of the prior: the weights must undo it.
        Model gaussian = ctx -> {
            double mu = ctx.sample(Normal.of(1, Math.sqrt(5)), "mu");
            ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs0");
            ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs1");
            return mu;
        };
        Proposal near = observations -> (address, instance, prior) -> Normal.of(7, 1);
        Posterior p = Inference.importanceSampling(gaussian).proposal(near).observe("obs0", 8.0).observe("obs1", 9.0)
                .traces(20_000).seed(8).run();
        // Exact: N(7.25, 0.9129); 5 standard errors of the mean at this ESS.
        assertEquals(7.25, p.marginal("mu").mean(), 5 * 0.9129 / Math.sqrt(p.ess()));
        assertTrue(p.ess() > 0.5 * p.size(), "a good proposal keeps most of the sample: ESS " + p.ess());
        assertEquals("20000", p.info().get("proposed"));
        assertEquals("0", p.info().get("fallbacks"));
    }

    @Test
    void builderRejectsBadSettings() {
        assertEquals("traces must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> Inference.prior(BRANCHY).traces(0)).getMessage());
        assertEquals("threads must be positive, got -2",
                assertThrows(IllegalArgumentException.class, () -> Inference.prior(BRANCHY).threads(-2)).getMessage());
        assertEquals("thin must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> Inference.metropolisHastings(BRANCHY).thin(0)).getMessage());
    }
}
