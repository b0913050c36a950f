package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.probe.language.Script;
import dev.probe.models.Builtins;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Each script in models/scripts against its Java twin and the exact posterior. A script and its
 * twin make the same random choices in the same order, so under one seed their posteriors are
 * identical, value for value; the exact checks use the tolerances of EnginesMatchExactPosteriorsTest.
 */
class ScriptTwinsTest {

    private static Model script(String name) throws IOException {
        return Script.load(Path.of("..", "models", "scripts", name + ".ppl")).model();
    }

    private static Map<String, Object> observations(String name) {
        return Builtins.find(name).orElseThrow().exampleObservations();
    }

    private static Inference engine(String engine, Model m) {
        return engine.equals("is") ? Inference.importanceSampling(m).traces(50_000) : Inference.metropolisHastings(m).traces(20_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gaussian", "coin", "gamma-poisson", "branching", "hmm", "mixture", "polar"})
    void aScriptGivesTheSamePosteriorAsItsJavaTwin(String name) throws IOException {
        for (String engine : List.of("is", "rmh")) {
            Posterior s = engine(engine, script(name)).observations(observations(name)).seed(11).run();
            Posterior j = engine(engine, Builtins.find(name).orElseThrow().create()).observations(observations(name)).seed(11).run();
            assertEquals(j.names(), s.names(), engine);
            assertArrayEquals(j.logWeights(), s.logWeights(), engine);
            for (String key : j.names()) {
                for (int i = 0; i < j.size(); i += 97) {
                    assertEquals(j.value(key, i), s.value(key, i), engine + " " + key + " run " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"is", "rmh"})
    void theGaussianScriptHasTheExactPosterior(String engine) throws IOException {
        Posterior p = engine(engine, script("gaussian")).observe("obs0", 8).observe("obs1", 9).seed(3).run();
        EnginesMatchExactPosteriorsTest.assertMoments(p, "mu", 7.25, Math.sqrt(1 / 1.2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"is", "rmh"})
    void theBranchingScriptHasTheExactPosterior(String engine) throws IOException {
        Posterior p = engine(engine, script("branching")).observe("obs", 6).seed(4).run();
        EnginesMatchExactPosteriorsTest.assertPmf(p, "r", java.util.Arrays.copyOf(Exact.branchingPosterior(6), 12));
    }

    @ParameterizedTest
    @ValueSource(strings = {"is", "rmh"})
    void theCoinAndCountScriptsHaveTheirConjugatePosteriors(String engine) throws IOException {
        List<Integer> flips = List.of(1, 1, 0, 1, 1, 1, 0, 1, 1, 0);
        Posterior coin = engine(engine, script("coin")).observe("flip", flips).seed(5).run();
        Exact.Moments c = Exact.betaBernoulli(2, 2, flips);
        EnginesMatchExactPosteriorsTest.assertMoments(coin, "p", c.mean(), c.stddev());
        List<Integer> counts = List.of(3, 5, 4, 6, 2);
        Posterior gp = engine(engine, script("gamma-poisson")).observe("count", counts).seed(6).run();
        Exact.Moments g = Exact.gammaPoisson(2, 1, counts);
        EnginesMatchExactPosteriorsTest.assertMoments(gp, "rate", g.mean(), g.stddev());
    }

    @ParameterizedTest
    @ValueSource(strings = {"is", "rmh"})
    void theHmmScriptHasTheForwardBackwardMarginals(String engine) throws IOException {
        double[] obs = {0.9, 0.8, 0.7, 0.0, -0.025, -5.0};
        Model m = Script.load(Path.of("..", "models", "scripts", "hmm.ppl")).model(Map.of("steps", 6L), Script.DEFAULT_MAX_STEPS,
                Script.DEFAULT_MAX_DEPTH);
        Posterior p = engine(engine, m).observe("obs", obs).seed(7).run();
        double[][] exact = Exact.hmmMarginals(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3},
                new double[][] {{0.1, 0.5, 0.4}, {0.2, 0.2, 0.6}, {0.15, 0.15, 0.7}}, new double[] {-1, 1, 0}, 1, obs);
        for (int t = 0; t < obs.length; t++) {
            EnginesMatchExactPosteriorsTest.assertPmf(p, "state[" + t + "]", exact[t]);
        }
    }
}
