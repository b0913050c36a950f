package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.apache.commons.statistics.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

import dev.probe.engines.smc.SequentialMonteCarlo;
import dev.probe.models.Builtins;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;

/**
 * Sequential Monte Carlo against exact answers. Its estimates are not independent draws (resampling
 * couples the particles), so tolerances come from the spread of the estimates over several
 * independent seeds: 5 standard errors of their mean, SE = (sample SD over seeds) / sqrt(seeds).
 */
class SequentialMonteCarloTest {

    static final double[] INITIAL = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    static final double[][] TRANSITIONS = {{0.1, 0.5, 0.4}, {0.2, 0.2, 0.6}, {0.15, 0.15, 0.7}};
    static final double[] MEANS = {-1, 1, 0};

    private static Model builtin(String name, Map<String, Object> params) {
        return Builtins.find(name).orElseThrow().create(params);
    }

    private static Inference smc(Model model, SequentialMonteCarlo.Options options) {
        return Inference.with(new SequentialMonteCarlo(options), model);
    }

    /** 200 observations drawn from the HMM itself, with a fixed seed. */
    static double[] hmmObservations(int steps) {
        Model m = builtin("hmm", Map.of("steps", (long) steps));
        Posterior p = Inference.prior(m).traces(1).seed(2024).threads(1).run();
        double[] obs = new double[steps];
        for (int t = 0; t < steps; t++) {
            obs[t] = ((Number) p.value("obs[" + t + "]", 0)).doubleValue();
        }
        return obs;
    }

    /** log p(obs) of the HMM by the forward algorithm. */
    static double hmmLogEvidence(double[] obs) {
        double[] alpha = INITIAL.clone();
        double logZ = 0;
        for (int t = 0; t < obs.length; t++) {
            double[] next = new double[3];
            if (t > 0) {
                for (int j = 0; j < 3; j++) {
                    for (int i = 0; i < 3; i++) {
                        next[j] += alpha[i] * TRANSITIONS[i][j];
                    }
                }
            } else {
                next = INITIAL.clone();
            }
            double norm = 0;
            for (int j = 0; j < 3; j++) {
                next[j] *= NormalDistribution.of(MEANS[j], 1).density(obs[t]);
                norm += next[j];
            }
            for (int j = 0; j < 3; j++) {
                next[j] /= norm;
            }
            logZ += Math.log(norm);
            alpha = next;
        }
        return logZ;
    }

    /** Mean and standard error over seeds of a statistic. */
    private static double[] meanAndSe(double[] x) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double ss = 0;
        for (double v : x) {
            ss += (v - mean) * (v - mean);
        }
        return new double[] {mean, Math.sqrt(ss / (x.length - 1) / x.length)};
    }

    @Test
    void theGaussianExactly() {
        Model gaussian = builtin("gaussian", Map.of());
        int seeds = 6;
        double[] means = new double[seeds];
        double[] sds = new double[seeds];
        double[] logZ = new double[seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = smc(gaussian, SequentialMonteCarlo.Options.DEFAULT).observe("obs0", 8.0).observe("obs1", 9.0)
                    .traces(4000).seed(100 + s).threads(2).run();
            means[s] = p.marginal("mu").mean();
            sds[s] = p.marginal("mu").stddev();
            logZ[s] = p.logEvidence().getAsDouble();
        }
        Exact.Moments exact = Exact.normalMean(1, Math.sqrt(5), Math.sqrt(2), 8, 9);
        assertWithin(exact.mean(), means, "mean of mu");
        assertWithin(exact.stddev(), sds, "stddev of mu");
        assertWithin(Exact.normalLogEvidence(1, Math.sqrt(5), Math.sqrt(2), 8, 9), logZ, "log evidence");
    }

    /**
     * Inference compilation inside SMC: a trained network proposes each particle's choices. On the
     * Gaussian its proposals sit near the posterior, so one step's weights barely vary.
     */
    @Test
    void aTrainedNetworksProposalsInsideSmc() {
        networkInsideSmc(Compiled.proposal(builtin("gaussian", Map.of())));
    }

    /** The same with {@code --defensive 0.2}: a fifth of the particles' runs from the twice-as-wide proposal. */
    @Test
    void aDefensiveNetworksProposalsInsideSmc() {
        networkInsideSmc(Compiled.defensive(builtin("gaussian", Map.of()), 0.2));
    }

    private void networkInsideSmc(Proposal network) {
        Model gaussian = builtin("gaussian", Map.of());
        int seeds = 4;
        double[] means = new double[seeds];
        double[] logZ = new double[seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = smc(gaussian, new SequentialMonteCarlo.Options(network, 0.5, 0)).observe("obs0", 8.0)
                    .observe("obs1", 9.0).traces(1000).seed(500 + s).threads(2).run();
            SequentialMonteCarlo.Report report = p.diagnostics(SequentialMonteCarlo.Report.class);
            assertEquals(1000, report.proposed(), "one proposed choice (mu) per particle");
            assertEquals(0, report.fallbacks());
            means[s] = p.marginal("mu").mean();
            logZ[s] = p.logEvidence().getAsDouble();
        }
        assertWithin(7.25, means, "mean of mu");
        assertWithin(Exact.normalLogEvidence(1, Math.sqrt(5), Math.sqrt(2), 8, 9), logZ, "log evidence");
    }

    /** {@code exact} within 5 standard errors of the mean of {@code estimates} over seeds. */
    static void assertWithin(double exact, double[] estimates, String what) {
        double[] ms = meanAndSe(estimates);
        assertEquals(exact, ms[0], 5 * ms[1] + 1e-9, what + ": mean over seeds " + ms[0] + ", SE " + ms[1]);
    }

    /**
     * As {@link #assertWithin} for a probability, where seeds may agree to the last particle: the
     * standard error is never taken below that of {@code particles} independent draws per seed.
     */
    private static void assertProportion(double exact, double[] estimates, int particles, String what) {
        double[] ms = meanAndSe(estimates);
        double iid = Math.sqrt(exact * (1 - exact) / ((double) particles * estimates.length));
        double se = Math.max(ms[1], iid);
        assertEquals(exact, ms[0], 5 * se, what + ": mean over seeds " + ms[0] + ", SE " + se);
    }

    @Test
    void theBranchingModelWhoseRunsDifferInStructure() {
        Model branching = builtin("branching", Map.of());
        double[] exact = Exact.branchingPosterior(6);
        int seeds = 5;
        double[][] pmf = new double[4][seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = smc(branching, SequentialMonteCarlo.Options.DEFAULT).observe("obs", 6L).traces(4000)
                    .seed(200 + s).threads(2).run();
            Marginal r = p.marginal("r");
            for (int k = 0; k < 4; k++) {
                pmf[k][s] = r.pmf().getOrDefault(2L + k, 0.0);
            }
        }
        for (int k = 0; k < 4; k++) {
            assertWithin(exact[2 + k], pmf[k], "P(r = " + (2 + k) + ")");
        }
    }

    @Test
    void oneAndTwoThreadsGiveTheSameParticles() {
        Model hmm = builtin("hmm", Map.of("steps", 30L));
        double[] obs = hmmObservations(30);
        SequentialMonteCarlo.Options o = new SequentialMonteCarlo.Options(Proposal.PRIOR, 0.5, 1);
        Posterior one = smc(hmm, o).observe("obs", obs).traces(200).seed(9).threads(1).run();
        Posterior two = smc(hmm, o).observe("obs", obs).traces(200).seed(9).threads(2).run();
        assertArrayEquals(one.logWeights(), two.logWeights());
        assertEquals(one.logEvidence().getAsDouble(), two.logEvidence().getAsDouble());
        for (int i = 0; i < one.size(); i++) {
            assertEquals(one.value("state[29]", i), two.value("state[29]", i));
            assertEquals(one.value("state[3]", i), two.value("state[3]", i));
        }
    }

    /**
     * 200 steps, where importance sampling collapses: the last state's filtering marginal and the
     * exact log evidence.
     */
    @Test
    void aLongHiddenMarkovModelMatchesTheForwardAlgorithm() {
        int steps = 200;
        double[] obs = hmmObservations(steps);
        Model hmm = builtin("hmm", Map.of("steps", (long) steps));
        double[][] exact = Exact.hmmMarginals(INITIAL, TRANSITIONS, MEANS, 1, obs);
        double exactLogZ = hmmLogEvidence(obs);
        int seeds = 3;
        double[][] last = new double[3][seeds];
        double[] logZ = new double[seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = smc(hmm, SequentialMonteCarlo.Options.DEFAULT).observe("obs", obs).traces(300).seed(300 + s)
                    .threads(2).run();
            logZ[s] = p.logEvidence().getAsDouble();
            Marginal m = p.marginal("state[" + (steps - 1) + "]");
            for (int k = 0; k < 3; k++) {
                last[k][s] = m.pmf().getOrDefault((long) k, 0.0);
            }
        }
        for (int k = 0; k < 3; k++) {
            assertWithin(exact[steps - 1][k], last[k], "P(state[199] = " + k + ")");
        }
        assertWithin(exactLogZ, logZ, "log evidence");
        // Importance sampling from the prior collapses here: its ESS is a handful of runs.
        Posterior is = Inference.importanceSampling(hmm).observe("obs", obs).traces(500).seed(1).threads(2).run();
        assertTrue(is.ess() < 5, "IS ESS " + is.ess());
    }

    /**
     * Rejuvenation moves fight path degeneracy: with them, the smoothing marginals of the last
     * states match forward-backward. Single-site moves on a trace of t choices move each choice
     * K / t times per resampling, so they reach recent states far more often than old ones;
     * here, 60 steps, 300 particles and 10 moves, the last 15 states are checked (docs/engines.md).
     */
    @Test
    void rejuvenationKeepsRecentStatesSmoothingMarginals() {
        int steps = 60;
        int checked = 15;
        double[] obs = hmmObservations(steps);
        Model hmm = builtin("hmm", Map.of("steps", (long) steps));
        double[][] exact = Exact.hmmMarginals(INITIAL, TRANSITIONS, MEANS, 1, obs);
        int seeds = 3;
        double[][][] pmf = new double[checked][3][seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = smc(hmm, new SequentialMonteCarlo.Options(Proposal.PRIOR, 0.5, 10)).observe("obs", obs)
                    .traces(300).seed(400 + s).threads(2).run();
            for (int back = 0; back < checked; back++) {
                Marginal m = p.marginal("state[" + (steps - 1 - back) + "]");
                for (int k = 0; k < 3; k++) {
                    pmf[back][k][s] = m.pmf().getOrDefault((long) k, 0.0);
                }
            }
        }
        for (int back = 0; back < checked; back++) {
            for (int k = 0; k < 3; k++) {
                assertProportion(exact[steps - 1 - back][k], pmf[back][k], 300, "P(state[" + (steps - 1 - back) + "] = " + k + ")");
            }
        }
    }

    /**
     * Particles that a later step puts at zero likelihood (a factor of -inf after an observation)
     * drop out instead of turning every weight into NaN. t ~ Uniform(-1, 1), |t| observed as 0.1
     * under Normal(|t|, 0.01), then t > 0 required: the posterior is Normal(0.1, 0.01) on t > 0
     * (its truncation at 0 is 10 sd away). Tolerance: 5 standard errors, 0.01 / sqrt(ESS).
     */
    @Test
    void aZeroLikelihoodAfterAnObservationDropsOnlyThoseParticles() {
        dev.probe.runtime.distribution.Uniform prior = dev.probe.runtime.distribution.Uniform.of(-1, 1);
        Model model = ctx -> {
            double t = ctx.sample(prior, "t");
            ctx.observe(dev.probe.runtime.distribution.Normal.of(Math.abs(t), 0.01), 0.1);
            ctx.factor(t > 0 ? 0 : Double.NEGATIVE_INFINITY);
            return t;
        };
        Posterior p = smc(model, new SequentialMonteCarlo.Options(Proposal.PRIOR, 0.5, 2)).traces(4000).seed(9).threads(1).run();
        Marginal t = p.marginal("t");
        assertEquals(0.1, t.mean(), 5 * 0.01 / Math.sqrt(p.ess()));
        assertTrue(p.quantile("t", 0.001) > 0, "no draw on the negative branch");
    }
}
