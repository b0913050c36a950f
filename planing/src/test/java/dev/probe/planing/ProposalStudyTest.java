package dev.probe.planing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import ai.djl.Device;

import dev.probe.compiler.RunSource;
import dev.probe.compiler.Trainer;
import dev.probe.compiler.TrainingOptions;
import dev.probe.proposals.Devices;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.model.Model;

/**
 * Planing a proposal network's training runs, with real (short) trainings. The statistical checks
 * allow 4 standard errors of the difference of two validation losses (each error the ratio
 * estimator's, added in quadrature: conservative, since both are measured on the same validation
 * runs); seeds are fixed, so each test's outcome is fixed too.
 */
class ProposalStudyTest {

    /** a and b ~ N(0, 1); v = a + N(0, 0.3) tells a, w = b + N(0, 0.3) tells b, u ~ N(0, 1) tells nothing. */
    private static final Model MODEL = Model.named("two", ctx -> {
        double a = ctx.sample(Normal.of(0, 1), "a");
        double b = ctx.sample(Normal.of(0, 1), "b");
        ctx.observe(Normal.of(a, 0.3), "v");
        ctx.observe(Normal.of(b, 0.3), "w");
        ctx.observe(Normal.of(0, 1), "u");
        return a;
    });

    @BeforeAll
    static void oneThread() {
        Devices.prepare(1);
    }

    private static ProposalStudy.Result study(String feature, long traces, long seed) {
        TrainingOptions o = new TrainingOptions(traces, 64, 0.003, 1000, seed, 2, Device.cpu(), 0, null,
                ProposalNetwork.Config.defaults().withHidden(64), Map.of());
        return ProposalStudy.run(RunSource.online(MODEL, "two", seed, 2, 64), o, feature, 0, Trainer.Listener.NONE);
    }

    private static ProposalStudy.Latent latent(ProposalStudy.Result r, String address) {
        return r.latents().stream().filter(l -> l.address().equals(address)).findFirst().orElseThrow();
    }

    @Test
    void planingTheInformativeObservationRaisesItsLatentsLossOnly() {
        ProposalStudy.Result r = study("v", 6000, 1);
        assertEquals(6, r.featureBins(), "floor(sqrt(1000 / 25)) bins");
        ProposalStudy.Latent a = latent(r, "a");
        ProposalStudy.Latent b = latent(r, "b");
        assertTrue(a.rise() > 4 * a.riseError() && a.rise() > 0.3, "a: " + a);
        assertEquals(0, b.rise(), 4 * b.riseError(), "b: " + b);
    }

    @Test
    void planingAnObservationNoLatentDependsOnChangesNoLoss() {
        ProposalStudy.Result r = study("u", 6000, 2);
        for (ProposalStudy.Latent l : r.latents()) {
            assertEquals(0, l.rise(), 4 * l.riseError(), l.address() + ": " + l);
        }
    }

    @Test
    void oneSeedGivesOneResult() {
        ProposalStudy.Result x = study("v", 500, 3);
        ProposalStudy.Result y = study("v", 500, 3);
        assertEquals(x.latents(), y.latents());
        assertEquals(x.rawLoss(), y.rawLoss());
        assertEquals(x.planedLoss(), y.planedLoss());
    }
}
