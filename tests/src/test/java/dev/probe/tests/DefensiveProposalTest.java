package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.probe.models.Builtins;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * The defensive share of {@code ic} ({@code --defensive}): drawn choice by choice, each choice's
 * density from the network's proposal q and its twice-as-wide version mixed by Bayes' rule on the
 * run so far, so that a run's proposal density is that of the mixture of whole runs,
 * (1 - share) q(x) + share q_wide(x).
 */
class DefensiveProposalTest {

    @Test
    void aRunsProposalDensityIsTheMixtureOfWholeRuns() {
        // Two real choices (the cluster means) and a discrete one per point: the mixture of whole
        // runs is not the product of per-choice mixtures, so the weights tell them apart.
        Model model = Builtins.find("mixture").orElseThrow().create(Map.of("n", 4L));
        double[] x = {-1.0, 0.2, 1.4, -0.4};
        double share = 0.2;
        Posterior p = Inference.importanceSampling(model).proposal(Compiled.defensive(model, share)).observe("x", x)
                .traces(300).seed(9).keepTraces(true).run();
        Observations observations = Observations.of(Map.of("x", x));
        double[] logWeights = p.logWeights();
        List<Trace> traces = p.traces();
        int mixed = 0;
        for (int i = 0; i < traces.size(); i++) {
            Trace t = traces.get(i);
            // The network's own proposal and its twice-as-wide version, told the run's choices.
            Proposer q = Compiled.widened(model, 1).start(observations);
            Proposer wide = Compiled.widened(model, 2).start(observations);
            double logTarget = 0;
            double logQ = 0;
            double logWide = 0;
            for (int j = 0; j < t.size(); j++) {
                Variable v = t.get(j);
                if (v.role() == Variable.Role.OBSERVE) {
                    logTarget += v.logProb();
                } else if (v.role() == Variable.Role.SAMPLE && v.controlled()) {
                    Distribution<?> dq = q.propose(v.address(), v.instance(), v.distribution());
                    Distribution<?> dw = wide.propose(v.address(), v.instance(), v.distribution());
                    if (dq != null) {
                        logTarget += v.logProb();
                        logQ += dq.logProbOf(v.value());
                        logWide += dw.logProbOf(v.value());
                    }
                    q.chosen(v.address(), v.instance(), v.distribution(), v.value());
                    wide.chosen(v.address(), v.instance(), v.distribution(), v.value());
                }
            }
            double a = Math.log1p(-share) + logQ;
            double b = Math.log(share) + logWide;
            double top = Math.max(a, b);
            double logMixture = top + Math.log(Math.exp(a - top) + Math.exp(b - top));
            if (Math.abs(logQ - logWide) > 1) {
                mixed++;
            }
            assertEquals(logTarget - logMixture, logWeights[i], 1e-8 * Math.max(1, Math.abs(logWeights[i])), "run " + i);
        }
        // Runs whose two densities differ by more than a factor e: where a per-choice mixture would differ.
        assertTrue(mixed > 30, mixed + " runs where q and q_wide differ");
    }
}
