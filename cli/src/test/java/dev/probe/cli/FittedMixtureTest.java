package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;
import org.junit.jupiter.api.Test;

import dev.probe.diagnostics.Samples;
import dev.probe.language.Script;
import dev.probe.language.SourceText;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.posterior.Posterior;

/** The Gaussian-mixture proposal of {@code is-mixture}: its EM fit, and importance sampling with it. */
class FittedMixtureTest {

    @Test
    void weightedEmRecoversATwoComponentMixture() {
        // 4,000 points from each of N((-2, 1), 0.5^2 I) and N((3, -1), diag(1, 0.25)); the first
        // component's points weigh 3, so the weighted mixture is 0.75 / 0.25.
        UniformRandomProvider r = Seeds.generator(7, 0);
        ZigguratSampler.NormalizedGaussian z = ZigguratSampler.NormalizedGaussian.of(r);
        int n = 4_000;
        double[][] x = new double[2 * n][];
        double[] w = new double[2 * n];
        for (int i = 0; i < n; i++) {
            x[i] = new double[] {-2 + 0.5 * z.sample(), 1 + 0.5 * z.sample()};
            w[i] = 3;
            x[n + i] = new double[] {3 + z.sample(), -1 + 0.5 * z.sample()};
            w[n + i] = 1;
        }
        List<FittedMixture.Component> fit = FittedMixture.fit(x, w, 2, 50, 1);
        assertEquals(2, fit.size());
        fit = fit.stream().sorted(Comparator.comparingDouble(c -> c.mean()[0])).toList();
        // The components are about 5 SDs apart along x (the second's SD 1) and 4 along y, so a point's
        // responsibility for the other component is a far-tail density ratio, under 1e-4 summed over
        // the points' shares, and the weights are the components' shares of the total weight,
        // 12,000 / 16,000, to 1e-4 (this seed: 0.750009).
        assertEquals(0.75, fit.get(0).weight(), 1e-4);
        // Means within 5 standard errors (sd / sqrt(4,000): 0.0079 for SD 0.5, 0.0158 for SD 1);
        // variances within 5 SE (variance * sqrt(2 / 3,999)).
        double[][] mean = {{-2, 1}, {3, -1}};
        double[][] var = {{0.25, 0.25}, {1, 0.25}};
        for (int c = 0; c < 2; c++) {
            double[][] l = fit.get(c).chol();
            for (int a = 0; a < 2; a++) {
                assertEquals(mean[c][a], fit.get(c).mean()[a], 5 * Math.sqrt(var[c][a] / n), "mean " + c + "," + a);
                double v = 0;
                for (int b = 0; b <= a; b++) {
                    v += l[a][b] * l[a][b];
                }
                assertEquals(var[c][a], v, 5 * var[c][a] * Math.sqrt(2.0 / (n - 1)), "variance " + c + "," + a);
            }
        }
    }

    @Test
    void importanceSamplingWithAFittedMixtureMeetsABimodalPosterior() {
        // t ~ Uniform(-3, 3), y ~ Normal(t^2, 0.5), y = 2: two modes at t = +-sqrt(2), SD about 0.18.
        Script script = bimodal();
        Samples ps = Samples.of(Inference.importanceSampling(script.model()).observe("y", 2.0).traces(2_000).seed(3).threads(1).run());
        double[] t = ps.column("t");
        double[][] x = new double[t.length][];
        for (int i = 0; i < t.length; i++) {
            x[i] = new double[] {t[i]};
        }
        List<FittedMixture.Component> fit = FittedMixture.fit(x, ps.weights(), 4, 50, 5);
        FittedMixture q = new FittedMixture(fit, List.of("t"), new double[] {1, 2}, new double[] {0.8, 0.17}, 0.03);
        Samples s = Samples.of(proposedBy(script, q));
        double[] v = s.column("t");
        double[] w = s.weights();
        double total = 0;
        double squares = 0;
        double positive = 0;
        double second = 0;
        for (int i = 0; i < v.length; i++) {
            total += w[i];
            squares += w[i] * w[i];
            positive += v[i] > 0 ? w[i] : 0;
            second += w[i] * v[i] * v[i];
        }
        double ess = total * total / squares;
        positive /= total;
        second /= total;
        // The exact posterior by quadrature: 600,000 midpoints over the prior's [-3, 3].
        int m = 600_000;
        double z = 0;
        double zPositive = 0;
        double zSecond = 0;
        double zFourth = 0;
        for (int i = 0; i < m; i++) {
            double u = -3 + 6 * (i + 0.5) / m;
            double d = Math.exp(-0.5 * Math.pow((2 - u * u) / 0.5, 2));
            z += d;
            zPositive += u > 0 ? d : 0;
            zSecond += d * u * u;
            zFourth += d * u * u * u * u;
        }
        double exactPositive = zPositive / z;
        double exactSecond = zSecond / z;
        double sdSecond = Math.sqrt(zFourth / z - exactSecond * exactSecond);
        // A fitted proposal close to the posterior: its weights nearly even.
        assertTrue(ess > 0.5 * v.length, "ESS " + ess + " of " + v.length);
        // Within 5 standard errors of ESS independent draws: sqrt(p (1 - p) / ESS) for the share of
        // t > 0 (0.0035 at ESS 20,000), sd(t^2) / sqrt(ESS) for E t^2.
        assertEquals(exactPositive, positive, 5 * Math.sqrt(exactPositive * (1 - exactPositive) / ess), "P(t > 0)");
        assertEquals(exactSecond, second, 5 * sdSecond / Math.sqrt(ess), "E t^2");
        // The mixture's conditionals leave no mode out: both are covered by fitted components.
        assertTrue(fit.stream().anyMatch(c -> c.mean()[0] > 1) && fit.stream().anyMatch(c -> c.mean()[0] < -1), fit.toString());
        assertTrue(q.components() >= 2 && Proposal.PRIOR != q);
    }

    @Test
    void aMirroredComponentIsTheReflectionOfItsComponent() {
        // A correlated 3-d Gaussian (mean (1, -2, 0.5)) and its mirror images: the copy reflected in
        // coordinate a has at R_a x the density the component has at x, for points all around it.
        double[][] chol = {{0.5, 0, 0}, {0.3, 0.4, 0}, {-0.2, 0.1, 0.7}};
        FittedMixture.Component c = new FittedMixture.Component(1, new double[] {1, -2, 0.5}, chol);
        List<FittedMixture.Component> m = FittedMixture.mirrored(List.of(c), 0.3);
        assertEquals(4, m.size());
        assertEquals(0.7, m.get(0).weight(), 1e-15);
        UniformRandomProvider r = Seeds.generator(11, 0);
        for (int a = 0; a < 3; a++) {
            FittedMixture.Component mirror = m.get(1 + a);
            assertEquals(0.1, mirror.weight(), 1e-15);
            for (int t = 0; t < 100; t++) {
                double[] x = {1 + 2 * r.nextDouble() - 1, -2 + 2 * r.nextDouble() - 1, 0.5 + 2 * r.nextDouble() - 1};
                double[] reflected = x.clone();
                reflected[a] = -reflected[a];
                assertEquals(FittedMixture.logNormal(x, c), FittedMixture.logNormal(reflected, mirror), 1e-12, "coordinate " + a);
            }
            // Not the component itself: its density at the point it reflects differs.
            assertTrue(Math.abs(FittedMixture.logNormal(c.mean(), c) - FittedMixture.logNormal(c.mean(), mirror)) > 1);
        }
    }

    @Test
    void mirrorImagesFindTheModeThePilotMissed() {
        // The bimodal posterior above (t ~ Uniform(-3, 3), y ~ Normal(t^2, 0.5), y = 2), but the fit
        // sees only the pilot's runs with t > 0, as a chain stuck in one sign mode would: the fit
        // alone proposes t < 0 only from its wide copy's far tail and the prior's 3%; its mirror
        // image (half of the fit's weight here, one coordinate) covers the other mode.
        Script script = bimodal();
        Samples ps = Samples.of(Inference.importanceSampling(script.model()).observe("y", 2.0).traces(2_000).seed(3).threads(1).run());
        double[] t = ps.column("t");
        double[] pw = ps.weights().clone();
        double[][] x = new double[t.length][];
        for (int i = 0; i < t.length; i++) {
            x[i] = new double[] {t[i]};
            pw[i] = t[i] > 0 ? pw[i] : 0;
        }
        List<FittedMixture.Component> fit = FittedMixture.fit(x, pw, 4, 50, 5);
        assertTrue(fit.stream().allMatch(c -> c.mean()[0] > 0), fit.toString());
        double[] shares = {0.8, 0.17};
        double[] widths = {1, 2};
        double[] negativeShare = new double[2];
        for (int mirror = 0; mirror < 2; mirror++) {
            List<FittedMixture.Component> f = mirror == 1 ? FittedMixture.mirrored(fit, 0.5) : fit;
            FittedMixture q = new FittedMixture(f, List.of("t"), widths, shares, 0.03);
            Posterior p = proposedBy(script, q);
            Samples s = Samples.of(p);
            double[] v = s.column("t");
            double[] w = s.weights();
            double total = 0;
            for (int i = 0; i < v.length; i++) {
                total += w[i];
                negativeShare[mirror] += v[i] < 0 ? w[i] : 0;
            }
            negativeShare[mirror] /= total;
            double ess = p.ess();
            if (mirror == 1) {
                // Both modes proposed at about their posterior share: weights nearly even, and the
                // share of t < 0 the exact 1/2 (the posterior is symmetric) within 5 standard errors
                // of ESS independent draws, sqrt(1/4 / ESS) (0.005 at ESS 10,000).
                assertTrue(ess > 0.4 * v.length, "ESS " + ess + " of " + v.length);
                assertEquals(0.5, negativeShare[1], 5 * Math.sqrt(0.25 / ess), "P(t < 0) with mirror images");
            } else {
                // Without them, the negative mode comes only from the tails: its runs are few and heavy.
                assertTrue(ess < 0.1 * v.length, "ESS without mirror images " + ess + " of " + v.length);
            }
        }
    }

    @Test
    void mirrorImagesOutsideAPositiveParametersSupportDropOut() {
        // b ~ LogNormal(log 0.4, 0.5), g ~ LogNormal(log 0.125, 0.2), y ~ Normal(b, 0.01), y = 0.4;
        // a fit at (0.4, 0.125) with b and g correlated, and its mirror images: b's lies 40 SDs
        // below b's support (0, inf). Drawn from, it would put b near 0, where its conditional for
        // g is 400 SDs below 0 and every other component and the prior are e^-800 or less as
        // likely: sir.ppl's failure ("Mixture: components must not be empty"). It drops out.
        Script script = Script.parse(SourceText.of("positive.ppl", "let b = sample(LogNormal(log(0.4), 0.5), name: \"b\");\n"
                + "let g = sample(LogNormal(log(0.125), 0.2), name: \"g\");\nobserve(Normal(b, 0.01), name: \"y\");\n"));
        FittedMixture.Component c = new FittedMixture.Component(1, new double[] {0.4, 0.125}, new double[][] {{0.01, 0}, {0.2, 0.02}});
        FittedMixture q = new FittedMixture(FittedMixture.mirrored(List.of(c), 0.5), List.of("b", "g"), new double[] {1, 2},
                new double[] {0.8, 0.17}, 0.03);
        Samples s = Samples.of(Inference.importanceSampling(script.model()).observe("y", 0.4).proposal(q).traces(20_000).seed(6)
                .threads(1).run());
        Samples.Moments b = s.moments("b");
        double ess = b.ess();
        double meanB = b.mean();
        double meanG = s.moments("g").mean();
        // Exact: g keeps its prior (mean 0.125 e^0.02, SD 0.125 e^0.02 sqrt(e^0.04 - 1)); b's posterior
        // by quadrature, 200,000 midpoints over (0, 1).
        double z = 0;
        double zb = 0;
        double zbb = 0;
        for (int i = 0; i < 200_000; i++) {
            double u = (i + 0.5) / 200_000;
            double d = Math.exp(-0.5 * Math.pow((Math.log(u) - Math.log(0.4)) / 0.5, 2) - 0.5 * Math.pow((0.4 - u) / 0.01, 2)) / u;
            z += d;
            zb += d * u;
            zbb += d * u * u;
        }
        double exactB = zb / z;
        double sdB = Math.sqrt(zbb / z - exactB * exactB);
        double exactG = 0.125 * Math.exp(0.02);
        double sdG = exactG * Math.sqrt(Math.exp(0.04) - 1);
        // The fit ties g to b (g's proposal SD about 0.2 against its posterior's 0.025), so the ESS
        // is low (190 of 20,000 with this seed); the point is that every run is proposed and weighed.
        assertTrue(ess > 100, "ESS " + ess);
        // Within 5 standard errors of ESS independent draws.
        assertEquals(exactB, meanB, 5 * sdB / Math.sqrt(ess), "E b");
        assertEquals(exactG, meanG, 5 * sdG / Math.sqrt(ess), "E g");
    }

    /** t ~ Uniform(-3, 3), y ~ Normal(t^2, 0.5): observed at y = 2, two modes at t = +-sqrt(2), SD about 0.18. */
    private static Script bimodal() {
        return Script.parse(SourceText.of("bimodal.ppl",
                "let t = sample(Uniform(-3, 3), name: \"t\");\nobserve(Normal(t * t, 0.5), name: \"y\");\n"));
    }

    /** 20,000 runs of importance sampling from {@code q}, y observed at 2. */
    private static Posterior proposedBy(Script script, FittedMixture q) {
        return Inference.importanceSampling(script.model()).observe("y", 2.0).proposal(q).traces(20_000).seed(4).threads(1).run();
    }
}
