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
}
