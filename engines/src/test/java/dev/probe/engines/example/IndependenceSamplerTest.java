package dev.probe.engines.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;

/** The example engine of docs/engines.md works, and the page shows it as it is compiled. */
class IndependenceSamplerTest {

    static final Model GAUSSIAN = ctx -> {
        double mu = ctx.sample(Normal.of(1, Math.sqrt(5)), "mu");
        ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs0");
        ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs1");
        return mu;
    };

    @Test
    void itFindsTheGaussiansPosterior() {
        Posterior p = Inference.with(new IndependenceSampler(new IndependenceSampler.Options(4)), GAUSSIAN)
                .observe("obs0", 8.0).observe("obs1", 9.0).traces(40_000).seed(3).threads(2).run();
        Marginal mu = p.marginal("mu");
        // Exact: Normal(7.25, 0.9129). Tolerance: 5 standard errors with the chains' autocorrelation ESS.
        double se = 0.9129 / Math.sqrt(mu.ess());
        assertEquals(7.25, mu.mean(), 5 * se, "ESS " + mu.ess());
        // Prior proposals rarely reach the posterior (2.8 prior SDs away): few are accepted, but some are.
        double acceptance = p.diagnostics(IndependenceSampler.Report.class).acceptance();
        assertTrue(acceptance > 0 && acceptance < 0.2, "acceptance " + acceptance);
    }

    @Test
    void docsEnginesMdShowsThisEngineVerbatim() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/probe/engines/example/IndependenceSampler.java"));
        String page = Files.readString(Path.of("../docs/engines.md"));
        String body = source.substring(source.indexOf("import org.apache"));
        assertTrue(page.contains(body), "docs/engines.md must show IndependenceSampler.java from its imports on, as compiled");
    }
}
