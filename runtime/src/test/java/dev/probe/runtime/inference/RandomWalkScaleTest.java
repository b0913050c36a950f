package dev.probe.runtime.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.commons.statistics.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Bernoulli;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;

/**
 * Metropolis-Hastings' random walk takes its scale from the site's prior. When that prior's
 * parameters depend on an uncontrolled choice upstream (redrawn at every step), the forward and
 * reverse scales differ and the kernel is not symmetric: the acceptance ratio must say so.
 */
class RandomWalkScaleTest {

    /** x's prior scale is 1 or 20 as an uncontrolled coin says: x is a 50:50 mixture of N(0, 1) and N(0, 20). */
    static final Model SCALE_FROM_COIN = ctx -> {
        boolean narrow = ctx.sample(Bernoulli.of(0.5), "narrow", false);
        double x = ctx.sample(Normal.of(0, narrow ? 1 : 20), "x");
        ctx.tag(narrow ? 1.0 : 0.0, "narrow_tag");
        ctx.observe(Normal.of(x, 0.5), "y");
        return x;
    };

    @Test
    void aWalkWhoseScaleDependsOnAnUncontrolledChoiceKeepsThePosterior() {
        Posterior p = Inference.metropolisHastings(SCALE_FROM_COIN).observe("y", 3.0).traces(40_000).chains(4).seed(3)
                .threads(2).run();
        // P(narrow | y): y is N(0, sqrt(1 + 0.25)) under the narrow prior, N(0, sqrt(400 + 0.25)) under the wide one.
        double narrow = NormalDistribution.of(0, Math.sqrt(1.25)).density(3);
        double wide = NormalDistribution.of(0, Math.sqrt(400.25)).density(3);
        double exact = narrow / (narrow + wide);
        Marginal inside = p.marginal("narrow_tag");
        // Tolerance: 5 Monte Carlo standard errors of a proportion, with the chains' autocorrelation ESS.
        double se = Math.sqrt(exact * (1 - exact) / inside.ess());
        assertEquals(exact, inside.mean(), 5 * se, "ESS " + inside.ess());
    }
}
