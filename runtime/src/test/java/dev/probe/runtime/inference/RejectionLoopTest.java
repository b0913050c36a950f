package dev.probe.runtime.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.TruncatedNormal;
import dev.probe.runtime.distribution.Uniform;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.trace.Trace;

/**
 * Marked rejection loops against exact answers by numerical integration. The loop's acceptance
 * rate under the prior depends on an earlier choice (theta), and under the test's proposal too,
 * so both rate estimates in the weight matter. Seeds are fixed; tolerances are 5 Monte Carlo
 * standard errors (sd / sqrt(ESS) for a mean; sqrt((N / ESS - 1) / N) for log Z).
 */
class RejectionLoopTest {

    /** theta ~ U(0.2, 1); x ~ U(0, 1) until x < theta; y ~ N(x, 0.1). */
    static final Model MODEL = Model.named("rejection", ctx -> {
        double theta = ctx.sample(Uniform.of(0.2, 1), "theta");
        double x = ctx.rejection("below", c -> c.sample(Uniform.of(0, 1), "x"), v -> v < theta);
        ctx.tag(x, "accepted");
        ctx.observe(Normal.of(x, 0.1), "y");
        return x;
    });

    /** Exact E[theta | y], E[x | y] and log p(y) by the midpoint rule on a fine grid. */
    static double[] exact(double y) {
        int n = 2000;
        double z = 0;
        double theta = 0;
        double x = 0;
        for (int i = 0; i < n; i++) {
            double t = 0.2 + 0.8 * (i + 0.5) / n;
            for (int j = 0; j < n; j++) {
                double u = (j + 0.5) / n;
                if (u >= t) {
                    break;
                }
                // p(theta) = 1 / 0.8, p(x | theta, accepted) = 1 / theta on (0, theta).
                double w = (1 / 0.8) * (1 / t) * Math.exp(Normal.of(u, 0.1).logDensity(y)) * (0.8 / n) * (1.0 / n);
                z += w;
                theta += w * t;
                x += w * u;
            }
        }
        return new double[] {theta / z, x / z, Math.log(z)};
    }

    /** A proposal that knows nothing of theta: x from N(0.5, 0.3) on [0, 1], theta from its prior. */
    static final Proposal LOOP_AWARE = observations -> new Proposer() {
        @Override
        public Distribution<?> propose(Address address, int instance, Distribution<?> prior) {
            return address.key().equals("x") ? TruncatedNormal.of(0.5, 0.3, 0, 1) : null;
        }

        @Override
        public Object snapshot() {
            return "stateless";
        }
    };

    static void assertMean(Posterior p, String key, double exact) {
        Marginal m = p.marginal(key);
        assertEquals(exact, m.mean(), 5 * m.stddev() / Math.sqrt(m.ess()), key + " (ESS " + m.ess() + ")");
    }

    @Test
    void everyEngineGetsTheExactPosterior() {
        double[] exact = exact(0.55);
        for (String engine : new String[] {"is", "rmh", "ic"}) {
            Inference inf = engine.equals("rmh") ? Inference.metropolisHastings(MODEL).traces(40_000)
                    : Inference.importanceSampling(MODEL).traces(100_000);
            if (engine.equals("ic")) {
                inf.proposal(LOOP_AWARE);
            }
            Posterior p = inf.observe("y", 0.55).seed(21).run();
            assertMean(p, "theta", exact[0]);
            assertMean(p, "accepted", exact[1]);
            if (!engine.equals("rmh")) {
                double se = Math.sqrt((p.size() / p.ess() - 1) / p.size());
                assertEquals(exact[2], p.logEvidence().getAsDouble(), 5 * se, engine + " log evidence");
            }
        }
    }

    @Test
    void importanceSamplingKeepsOnlyTheAcceptedIteration() {
        Posterior p = Inference.importanceSampling(MODEL).observe("y", 0.55).traces(2000).keepTraces(true).seed(3).run();
        for (Trace t : p.traces()) {
            assertEquals(2, t.samples().size(), t.toString());
            assertTrue((Double) t.variable("x").value() < (Double) t.variable("theta").value());
            assertEquals(0, t.variable("x").instance(), "the accepted iteration is numbered as if it were the first");
        }
        assertEquals(java.util.List.of("accepted", "theta", "x"), p.names().stream().sorted().toList());
    }

    @Test
    void aBodyThatObservesOrNeverAcceptsIsAClearError() {
        Model observing = ctx -> ctx.rejection("bad", c -> c.observe(Normal.of(0, 1), "y"), v -> true);
        RunException e = assertThrows(RunException.class,
                () -> Inference.importanceSampling(observing).observe("y", 1.0).traces(10).seed(1).run());
        assertTrue(e.getMessage().contains("rejection loop 'bad'"), e.getMessage());
        assertTrue(e.getCause() instanceof ModelException);
    }
}
