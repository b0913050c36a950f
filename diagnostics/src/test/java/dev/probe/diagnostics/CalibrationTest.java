package dev.probe.diagnostics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.model.Model;

/**
 * SBC on the conjugate Gaussian (mu ~ N(1, sqrt 5), two observations ~ N(mu, sqrt 2)): correct
 * engines pass, a proposal far narrower than the posterior fails. Fixed seeds; a calibrated
 * engine fails the 1% test with probability 1% over seeds.
 */
class CalibrationTest {

    static final Model GAUSSIAN = ctx -> {
        double mu = ctx.sample(Normal.of(1, Math.sqrt(5)), "mu");
        ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs0");
        ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs1");
        return mu;
    };

    /**
     * Proposes mu from a normal centred on the exact posterior mean with a tenth of its sd: the
     * weights correct it in theory, but the draws never reach the posterior's tails.
     */
    static final Proposal TOO_NARROW = observations -> (address, instance, prior) -> {
        double sum = ((Number) observations.get("obs0")).doubleValue() + ((Number) observations.get("obs1")).doubleValue();
        double precision = 1 / 5.0 + 2 / 2.0;
        double mean = (1 / 5.0 + sum / 2) / precision;
        return Normal.of(mean, 0.1 / Math.sqrt(precision));
    };

    private static Calibration calibrate(java.util.function.Supplier<Inference> engine, long seed, int threads) {
        return Calibration.run(Inference.prior(GAUSSIAN), engine, 200, 99, 20, seed, threads);
    }

    @Test
    void correctEnginesPass() {
        Calibration is = calibrate(() -> Inference.importanceSampling(GAUSSIAN).traces(1000), 1, 2);
        assertEquals(java.util.List.of("mu"), is.names());
        assertTrue(is.passes(), "is: p = " + is.tests().get(0).pValue());
        Calibration rmh = calibrate(() -> Inference.metropolisHastings(GAUSSIAN).traces(1000).chains(2), 2, 2);
        assertTrue(rmh.passes(), "rmh: p = " + rmh.tests().get(0).pValue());
    }

    @Test
    void aTooNarrowProposalFails() {
        Calibration narrow = calibrate(() -> Inference.importanceSampling(GAUSSIAN).traces(1000).proposal(TOO_NARROW), 1, 2);
        assertFalse(narrow.passes());
        assertTrue(narrow.tests().get(0).pValue() < 1e-6, "p = " + narrow.tests().get(0).pValue());
    }

    @Test
    void theResultDependsOnTheSeedAloneNotTheThreads() {
        Calibration one = calibrate(() -> Inference.importanceSampling(GAUSSIAN).traces(300), 5, 1);
        Calibration three = calibrate(() -> Inference.importanceSampling(GAUSSIAN).traces(300), 5, 3);
        assertArrayEquals(one.ranks()[0], three.ranks()[0]);
    }

    /**
     * A choice made three times in every run is three parameters, ranked apart (z[0], z[1], z[2], as the posterior
     * names them); a choice made a varying number of times is skipped with a note. The model: z_i ~ N(0, 1), each
     * observed once as y_i ~ N(z_i, 1), and k ~ 1 + Poisson-like coin flips of w's. A correct engine passes.
     */
    @Test
    void eachInstanceOfARepeatedChoiceIsRankedAndAVaryingOneSkipped() {
        Model repeated = ctx -> {
            for (int i = 0; i < 3; i++) {
                double z = ctx.sample(Normal.of(0, 1), "z");
                ctx.observe(Normal.of(z, 1), "y" + i);
            }
            double w = ctx.sample(Normal.of(0, 1), "w");
            if (w > 0) {
                ctx.sample(Normal.of(w, 1), "w");
            }
            return null;
        };
        Calibration c = Calibration.run(Inference.prior(repeated), () -> Inference.importanceSampling(repeated).traces(1000), 200, 99,
                20, 3, 2);
        assertEquals(java.util.List.of("z[0]", "z[1]", "z[2]"), c.names());
        assertEquals(1, c.skipped().size(), c.skipped().toString());
        assertTrue(c.skipped().get(0).startsWith("w: made 1 to 2 times per run"), c.skipped().get(0));
        assertTrue(c.passes(), "p-values " + c.tests().stream().map(Sbc.Uniformity::pValue).toList());
    }

    /** An array-valued choice made once a run is ranked element by element: theta ~ NormalArray(0, 1) of 2, y_j ~ N(theta_j, 1). */
    @Test
    void eachElementOfAnArrayChoiceIsRanked() {
        Model vector = ctx -> {
            double[] theta = ctx.sample(dev.probe.runtime.distribution.NormalArray.of(new double[2], new double[] {1, 1}), "theta");
            ctx.observe(Normal.of(theta[0], 1), "y0");
            ctx.observe(Normal.of(theta[1], 1), "y1");
            return null;
        };
        Calibration c = Calibration.run(Inference.prior(vector), () -> Inference.importanceSampling(vector).traces(1000), 200, 99, 20,
                4, 2);
        assertEquals(java.util.List.of("theta[0]", "theta[1]"), c.names());
        assertTrue(c.skipped().isEmpty(), c.skipped().toString());
        assertTrue(c.passes(), "p-values " + c.tests().stream().map(Sbc.Uniformity::pValue).toList());
    }

    /**
     * An array-valued choice made twice a run is ranked element by element in each instance, named as the posterior names
     * the instances (theta[0], theta[1]) with the element after: theta[i] ~ NormalArray(0, 1) of 3, observed as
     * y_i ~ Normal(theta[i], 1) element-wise. A correct engine passes.
     */
    @Test
    void eachElementOfEachInstanceOfARepeatedArrayChoiceIsRanked() {
        Model vectors = ctx -> {
            for (int i = 0; i < 2; i++) {
                double[] theta = ctx.sample(dev.probe.runtime.distribution.NormalArray.of(new double[3], new double[] {1, 1, 1}), "theta");
                ctx.observe(dev.probe.runtime.distribution.NormalArray.of(theta, new double[] {1, 1, 1}), "y");
            }
            return null;
        };
        Calibration c = Calibration.run(Inference.prior(vectors), () -> Inference.importanceSampling(vectors).traces(1000), 200, 99,
                20, 5, 2);
        assertEquals(java.util.List.of("theta[0][0]", "theta[0][1]", "theta[0][2]", "theta[1][0]", "theta[1][1]", "theta[1][2]"),
                c.names());
        assertTrue(c.skipped().isEmpty(), c.skipped().toString());
        assertTrue(c.passes(), "p-values " + c.tests().stream().map(Sbc.Uniformity::pValue).toList());
    }
}
