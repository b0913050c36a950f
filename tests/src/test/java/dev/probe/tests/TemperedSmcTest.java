package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.apache.commons.statistics.distribution.GammaDistribution;
import org.apache.commons.statistics.distribution.PoissonDistribution;
import org.junit.jupiter.api.Test;

import dev.probe.engines.smc.TemperedSmc;
import dev.probe.models.Builtins;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Tempered SMC, with proposals from the prior and from a trained network, against exact
 * posteriors and evidences. Resampling and moves couple the particles, so an estimate's standard
 * error is not that of independent draws: tolerances are 5 standard errors of the mean over
 * independent seeds, SE = (sample SD over seeds) / sqrt(seeds), as in SequentialMonteCarloTest.
 */
class TemperedSmcTest {

    private static final List<Integer> COUNTS = List.of(3, 5, 4, 6, 2);

    private static Model builtin(String name) {
        return Builtins.find(name).orElseThrow().create(Map.of());
    }

    private static Inference tempered(Model model, Proposal proposal) {
        return Inference.with(new TemperedSmc(new TemperedSmc.Options(proposal, 0.5, 0.5, 2)), model);
    }

    /** log p(counts) of the gamma-Poisson model: p(y | r) p(r) / p(r | y) at any rate r (here 4). */
    static double gammaPoissonLogEvidence(double shape, double rate, List<Integer> counts) {
        double r = 4;
        double logZ = GammaDistribution.of(shape, 1 / rate).logDensity(r);
        int sum = 0;
        for (int c : counts) {
            logZ += PoissonDistribution.of(r).logProbability(c);
            sum += c;
        }
        return logZ - GammaDistribution.of(shape + sum, 1 / (rate + counts.size())).logDensity(r);
    }

    private void gaussian(Proposal proposal, int particles, int seeds, int firstSeed) {
        Model model = builtin("gaussian");
        double[] means = new double[seeds];
        double[] sds = new double[seeds];
        double[] logZ = new double[seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = tempered(model, proposal).observe("obs0", 8.0).observe("obs1", 9.0).traces(particles)
                    .seed(firstSeed + s).threads(2).run();
            TemperedSmc.Report report = p.diagnostics(TemperedSmc.Report.class);
            assertTrue(report.temperatures() >= 1, "at least one temperature");
            assertTrue(report.independenceAcceptance() > 0 && report.localAcceptance() > 0, "moves accepted: " + report);
            means[s] = p.marginal("mu").mean();
            sds[s] = p.marginal("mu").stddev();
            logZ[s] = p.logEvidence().getAsDouble();
        }
        Exact.Moments exact = Exact.normalMean(1, Math.sqrt(5), Math.sqrt(2), 8, 9);
        assertWithin(exact.mean(), means, "mean of mu");
        assertWithin(exact.stddev(), sds, "stddev of mu");
        assertWithin(Exact.normalLogEvidence(1, Math.sqrt(5), Math.sqrt(2), 8, 9), logZ, "log evidence");
    }

    private void gammaPoisson(Proposal proposal, int particles, int seeds, int firstSeed) {
        Model model = builtin("gamma-poisson");
        double[] means = new double[seeds];
        double[] sds = new double[seeds];
        double[] logZ = new double[seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = tempered(model, proposal).observe("count", COUNTS).traces(particles).seed(firstSeed + s)
                    .threads(2).run();
            means[s] = p.marginal("rate").mean();
            sds[s] = p.marginal("rate").stddev();
            logZ[s] = p.logEvidence().getAsDouble();
        }
        Exact.Moments exact = Exact.gammaPoisson(2, 1, COUNTS);
        assertWithin(exact.mean(), means, "mean of rate");
        assertWithin(exact.stddev(), sds, "stddev of rate");
        assertWithin(gammaPoissonLogEvidence(2, 1, COUNTS), logZ, "log evidence");
    }

    @Test
    void theGaussianFromThePrior() {
        gaussian(Proposal.PRIOR, 1000, 6, 100);
    }

    @Test
    void theGaussianFromATrainedNetwork() {
        gaussian(Compiled.proposal(builtin("gaussian")), 400, 4, 200);
    }

    @Test
    void gammaPoissonFromThePrior() {
        gammaPoisson(Proposal.PRIOR, 1000, 6, 300);
    }

    @Test
    void gammaPoissonFromATrainedNetwork() {
        gammaPoisson(Compiled.proposal(builtin("gamma-poisson")), 400, 4, 400);
    }

    /**
     * With {@code --defensive}: the particles start from the mixture of whole runs of the network's
     * proposal and its twice-as-wide twin, and the independence moves propose whole runs from it too.
     */
    @Test
    void theGaussianFromADefensiveNetwork() {
        gaussian(Compiled.defensive(builtin("gaussian"), 0.2), 400, 4, 500);
    }

    @Test
    void gammaPoissonFromADefensiveNetwork() {
        gammaPoisson(Compiled.defensive(builtin("gamma-poisson"), 0.2), 400, 4, 600);
    }

    /** Particles, weights, evidence and diagnostics depend on the seed alone, never on the threads. */
    @Test
    void theSeedAloneFixesTheResult() {
        Model model = builtin("gamma-poisson");
        Posterior one = tempered(model, Proposal.PRIOR).observe("count", COUNTS).traces(300).seed(9).threads(1).run();
        Posterior three = tempered(model, Proposal.PRIOR).observe("count", COUNTS).traces(300).seed(9).threads(3).run();
        assertEquals(one.logEvidence().getAsDouble(), three.logEvidence().getAsDouble(), 0);
        double[] rateOne = new double[300];
        double[] rateThree = new double[300];
        for (int i = 0; i < 300; i++) {
            rateOne[i] = (Double) one.value("rate", i);
            rateThree[i] = (Double) three.value("rate", i);
        }
        assertArrayEquals(rateOne, rateThree, 0);
        assertArrayEquals(one.logWeights(), three.logWeights(), 0);
        assertEquals(one.diagnostics(TemperedSmc.Report.class), three.diagnostics(TemperedSmc.Report.class));
    }

    /** With the default options too: the block walk's scale and the number of rounds come from the seed alone. */
    @Test
    void theSeedAloneFixesTheAdaptiveRounds() {
        Posterior one = Inference.with(new TemperedSmc(TemperedSmc.Options.DEFAULT), RIDGE).observe("y", 1.5).traces(150)
                .seed(11).threads(1).run();
        Posterior two = Inference.with(new TemperedSmc(TemperedSmc.Options.DEFAULT), RIDGE).observe("y", 1.5).traces(150)
                .seed(11).threads(2).run();
        assertEquals(one.logEvidence().getAsDouble(), two.logEvidence().getAsDouble(), 0);
        for (int i = 0; i < 150; i++) {
            assertEquals((Double) one.value("a", i), (Double) two.value("a", i), 0);
            assertEquals((Double) one.value("b", i), (Double) two.value("b", i), 0);
        }
        assertArrayEquals(one.logWeights(), two.logWeights(), 0);
        TemperedSmc.Report report = one.diagnostics(TemperedSmc.Report.class);
        assertEquals(report, two.diagnostics(TemperedSmc.Report.class));
        assertTrue(report.rounds() >= 2L * report.temperatures(), "at least --rejuvenate rounds: " + report);
    }

    /**
     * A sharp likelihood (200 counts) takes several temperatures, each
     * keeping about the target conditional ESS; the schedule ends at 1.
     */
    @Test
    void aSharpLikelihoodTakesSeveralTemperatures() {
        Model model = Builtins.find("gamma-poisson").orElseThrow().create(Map.of("n", 200L));
        List<Integer> many = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            many.add(COUNTS.get(i % COUNTS.size()));
        }
        int seeds = 5;
        double[] means = new double[seeds];
        double[] logZ = new double[seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = tempered(model, Proposal.PRIOR).observe("count", many).traces(500).seed(700 + s).threads(2).run();
            TemperedSmc.Report report = p.diagnostics(TemperedSmc.Report.class);
            assertTrue(report.temperatures() >= 4, "a sharp posterior takes several temperatures: " + report);
            assertTrue(report.proposalEss() < 50, "prior importance sampling alone would collapse: " + report);
            means[s] = p.marginal("rate").mean();
            logZ[s] = p.logEvidence().getAsDouble();
        }
        assertWithin(Exact.gammaPoisson(2, 1, many).mean(), means, "mean of rate");
        assertWithin(gammaPoissonLogEvidence(2, 1, many), logZ, "log evidence");
    }

    /** a, b ~ Normal(0, 1); y ~ Normal(a + b, 0.05): a posterior along the ridge a + b = y, sharp across it. */
    private static final Model RIDGE = new Model() {
        @Override
        public Object run(dev.probe.runtime.model.Context ctx) {
            double a = ctx.sample(dev.probe.runtime.distribution.Normal.of(0, 1), "a");
            double b = ctx.sample(dev.probe.runtime.distribution.Normal.of(0, 1), "b");
            ctx.observe(dev.probe.runtime.distribution.Normal.of(a + b, RIDGE_NOISE), "y");
            return a;
        }

        @Override
        public String name() {
            return "ridge";
        }
    };
    private static final double RIDGE_NOISE = 0.05;

    /**
     * The default options' adaptive rounds and block walk on a posterior whose two latents are
     * correlated -0.998: exact Gaussian, Sigma = I - 1 1^T / (2 + s^2), mean y / (2 + s^2) each,
     * evidence N(y; 0, 2 + s^2). Single-site moves alone cross such a ridge slowly; the walk,
     * scaled by the particles' covariance, moves along it, and the rounds go on until the
     * particles have moved.
     */
    @Test
    void aCorrelatedPosteriorWithTheDefaultOptions() {
        double y = 1.5;
        double v = 2 + RIDGE_NOISE * RIDGE_NOISE;
        int seeds = 5;
        double[] means = new double[seeds];
        double[] sds = new double[seeds];
        double[] logZ = new double[seeds];
        for (int s = 0; s < seeds; s++) {
            Posterior p = Inference.with(new TemperedSmc(TemperedSmc.Options.DEFAULT), RIDGE).observe("y", y).traces(400)
                    .seed(900 + s).threads(2).run();
            TemperedSmc.Report report = p.diagnostics(TemperedSmc.Report.class);
            assertTrue(report.walkAcceptance() > 0.1, "the block walk moves: " + report);
            assertTrue(report.rounds() >= 2L * report.temperatures(), "at least --rejuvenate rounds: " + report);
            means[s] = p.marginal("a").mean();
            sds[s] = p.marginal("a").stddev();
            logZ[s] = p.logEvidence().getAsDouble();
        }
        assertWithin(y / v, means, "mean of a");
        assertWithin(Math.sqrt(1 - 1 / v), sds, "stddev of a");
        assertWithin(-0.5 * Math.log(2 * Math.PI * v) - y * y / (2 * v), logZ, "log evidence");
    }

    private static void assertWithin(double exact, double[] estimates, String what) {
        SequentialMonteCarloTest.assertWithin(exact, estimates, what);
    }
}
