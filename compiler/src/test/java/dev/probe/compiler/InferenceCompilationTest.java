package dev.probe.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import ai.djl.Device;

import dev.probe.models.Builtins;
import dev.probe.proposals.Artifact;
import dev.probe.proposals.ArtifactException;
import dev.probe.proposals.NetworkProposal;
import dev.probe.proposals.ProposalNetwork;
import dev.probe.runtime.InvalidSettingException;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Marginal;
import dev.probe.runtime.posterior.Posterior;

/**
 * Inference compilation end to end with real DJL training on the CPU: short trainings must give
 * proposals whose importance sampling matches exact posteriors with far larger effective sample
 * sizes than the prior's. Seeds are fixed. Tolerances are 5 Monte Carlo standard errors of the run
 * itself (sd / sqrt(ESS) for a mean; sd / sqrt(2 ESS) for a standard deviation, the normal-theory
 * value, as these posteriors are normal).
 */
class InferenceCompilationTest {

    private static final double Z = 5;
    private static final Model GAUSSIAN = Builtins.find("gaussian").orElseThrow().create();
    /** Far in the tail: y = 3.5 from x ~ N(0, 1), y ~ N(x, 0.1); the prior predictive sd is 1.005. */
    private static final Model TAIL = Model.named("tail", ctx -> {
        double x = ctx.sample(Normal.of(0, 1), "x");
        ctx.observe(Normal.of(x, 0.1), "y");
        return x;
    });

    private static Artifact gaussian;

    @BeforeAll
    static void train() {
        gaussian = Trainer.train(RunSource.online(GAUSSIAN, "builtin:gaussian", 1, 2, 64), options(20_000, 1, 128),
                Trainer.Listener.NONE);
    }

    @AfterAll
    static void close() {
        gaussian.network().close();
    }

    static TrainingOptions options(long traces, long seed, int hidden) {
        TrainingOptions d = TrainingOptions.defaults(traces, seed);
        return new TrainingOptions(traces, d.batchSize(), d.learningRate(), d.validationSize(), seed, 2, Device.cpu(), 0, null,
                ProposalNetwork.Config.defaults().withHidden(hidden), Map.of());
    }

    /** The run's mean and sd of {@code key} against the exact values, within Z standard errors. */
    static void assertNormalPosterior(Posterior p, String key, double mean, double sd) {
        Marginal m = p.marginal(key);
        double ess = m.ess();
        assertTrue(ess > 100, key + ": ESS " + ess + " is too small for a meaningful check");
        assertEquals(mean, m.mean(), Z * m.stddev() / Math.sqrt(ess), key + " mean (ESS " + ess + ")");
        assertEquals(sd, m.stddev(), Z * m.stddev() / Math.sqrt(2 * ess), key + " stddev (ESS " + ess + ")");
    }

    @Test
    void gaussianPosteriorFromTheNetworkMatchesTheExactOneWithAFarLargerEss() {
        NetworkProposal proposal = new NetworkProposal(gaussian.network());
        Posterior ic = Inference.importanceSampling(GAUSSIAN).observe("obs0", 8.0).observe("obs1", 9.0).proposal(proposal)
                .traces(2000).seed(11).run();
        Posterior is = Inference.importanceSampling(GAUSSIAN).observe("obs0", 8.0).observe("obs1", 9.0).traces(2000).seed(11).run();
        // Conjugate: precision 1/5 + 2/2, mean (1/5 + 17/2) / 1.2 = 7.25, sd sqrt(1 / 1.2) = 0.9129.
        assertNormalPosterior(ic, "mu", 7.25, Math.sqrt(1 / 1.2));
        assertTrue(ic.ess() >= 5 * is.ess(), "ic ESS " + ic.ess() + " vs prior IS " + is.ess());
        assertTrue(ic.ess() >= 0.8 * ic.size(), "ic ESS " + ic.ess() + " of " + ic.size());
        assertEquals("0", ic.info().get("fallbacks"));
        assertEquals("2000", ic.info().get("proposed"));
        // One latent choice: its proposal depends on the observations only, so one network step serves every run.
        assertEquals(1, proposal.networkSteps());
        assertEquals("java", gaussian.training().get("pass").asText(), "vector observations on the CPU train in Java");
    }

    @Test
    void anObservationFarInThePriorsTailStillGetsGoodProposals() {
        Artifact tail = Trainer.train(RunSource.online(TAIL, "tail", 2, 2, 64), options(20_000, 2, 512), Trainer.Listener.NONE);
        try {
            NetworkProposal proposal = new NetworkProposal(tail.network());
            Posterior ic = Inference.importanceSampling(TAIL).observe("y", 3.5).proposal(proposal).traces(4000).seed(12).run();
            Posterior is = Inference.importanceSampling(TAIL).observe("y", 3.5).traces(4000).seed(12).run();
            // Conjugate: precision 1 + 100, mean 100 * 3.5 / 101, sd 1 / sqrt(101).
            assertNormalPosterior(ic, "x", 350.0 / 101, 1 / Math.sqrt(101));
            assertTrue(ic.ess() / ic.size() >= 5 * is.ess() / is.size(), "ic ESS " + ic.ess() + " vs prior IS " + is.ess());
        } finally {
            tail.network().close();
        }
    }

    /**
     * Marsaglia's polar method is a rejection loop: marked, every iteration is proposed alike and
     * the rejected ones cost no effective sample size (pyprob, with the loop unmarked: ESS 12 per
     * 1,000).
     */
    @Test
    void aMarkedRejectionLoopKeepsItsEffectiveSampleSize() {
        Model polar = Builtins.find("polar").orElseThrow().create();
        Artifact net = Trainer.train(RunSource.online(polar, "builtin:polar", 4, 2, 64), options(20_000, 4, 512),
                Trainer.Listener.NONE);
        try {
            Posterior ic = Inference.importanceSampling(polar).observe("obs0", 8.0).observe("obs1", 9.0)
                    .proposal(new NetworkProposal(net.network())).traces(2000).seed(13).run();
            Posterior is = Inference.importanceSampling(polar).observe("obs0", 8.0).observe("obs1", 9.0).traces(2000).seed(13)
                    .run();
            assertNormalPosterior(ic, "mu", 7.25, Math.sqrt(1 / 1.2));
            assertTrue(ic.ess() >= 5 * is.ess(), "ic ESS " + ic.ess() + " vs prior IS " + is.ess());
            assertTrue(ic.ess() >= 0.15 * ic.size(), "ic ESS " + ic.ess() + " of " + ic.size());
            // Runs go through the network in batches of 32; a seed still fixes every weight, whatever the threads.
            Posterior one = Inference.importanceSampling(polar).observe("obs0", 8.0).observe("obs1", 9.0)
                    .proposal(new NetworkProposal(net.network(), 0, 32)).traces(2000).seed(13).threads(1).run();
            Posterior two = Inference.importanceSampling(polar).observe("obs0", 8.0).observe("obs1", 9.0)
                    .proposal(new NetworkProposal(net.network(), 0, 32)).traces(2000).seed(13).threads(2).run();
            assertArrayEquals(one.logWeights(), two.logWeights());
            assertArrayEquals(ic.logWeights(), two.logWeights());
        } finally {
            net.network().close();
        }
    }

    /** A blob at (x, y) seen in an 8 x 8 noisy image: the image is embedded by the CNN. */
    static final Model BLOB = Model.named("blob", ctx -> {
        double x = ctx.sample(dev.probe.runtime.distribution.Uniform.of(0, 8), "x");
        double y = ctx.sample(dev.probe.runtime.distribution.Uniform.of(0, 8), "y");
        ctx.observe(dev.probe.runtime.distribution.NormalArray.of(blob(x, y), new double[] {0.3}), "image");
        return x;
    });

    static double[] blob(double x, double y) {
        double[] image = new double[64];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                double dx = j + 0.5 - x;
                double dy = i + 0.5 - y;
                image[i * 8 + j] = 2 * Math.exp(-(dx * dx + dy * dy) / 2);
            }
        }
        return image;
    }

    static double exactBlobMean(double[] seen) {
        int n = 400;
        double[] logw = new double[n * n];
        double max = Double.NEGATIVE_INFINITY;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double[] m = blob(8.0 * (a + 0.5) / n, 8.0 * (b + 0.5) / n);
                double lw = 0;
                for (int k = 0; k < 64; k++) {
                    lw -= (seen[k] - m[k]) * (seen[k] - m[k]) / (2 * 0.09);
                }
                logw[a * n + b] = lw;
                max = Math.max(max, lw);
            }
        }
        double z = 0;
        double sx = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double w = Math.exp(logw[a * n + b] - max);
                z += w;
                sx += w * 8.0 * (a + 0.5) / n;
            }
        }
        return sx / z;
    }

    @Test
    void anImageObservationIsEmbeddedByACnn() {
        TrainingOptions d = options(8_000, 5, 128);
        TrainingOptions o = new TrainingOptions(d.traces(), d.batchSize(), d.learningRate(), d.validationSize(), d.seed(),
                d.threads(), d.device(), 0, null, d.network(), Map.of("image", new int[] {8, 8}));
        Artifact net = Trainer.train(RunSource.online(BLOB, "blob", 5, 2, 64), o, Trainer.Listener.NONE);
        try {
            assertTrue(net.network().parameters().containsKey("obs.image0.conv1.weight"));
            assertEquals("native", net.training().get("pass").asText(), "a CNN's convolutions train in the native library");
            assertArrayEquals(new int[] {8, 8}, net.network().layout().entries().get(0).shape());
            double[] seen = blob(2.5, 5.5);
            Posterior ic = Inference.importanceSampling(BLOB).observe("image", seen).proposal(new NetworkProposal(net.network()))
                    .traces(4000).seed(14).run();
            Posterior is = Inference.importanceSampling(BLOB).observe("image", seen).traces(4000).seed(14).run();
            assertTrue(ic.ess() >= 5 * is.ess(), "ic ESS " + ic.ess() + " vs prior IS " + is.ess());
            // E[x | image] by the midpoint rule over (x, y) on [0, 8]^2; 5 standard errors sd / sqrt(ESS).
            Marginal x = ic.marginal("x");
            assertEquals(exactBlobMean(seen), x.mean(), 5 * x.stddev() / Math.sqrt(x.ess()), "x (ESS " + x.ess() + ")");
        } finally {
            net.network().close();
        }
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> Trainer.train(
                RunSource.online(BLOB, "blob", 5, 2, 64), new TrainingOptions(1000, 64, 1e-3, 64, 5, 2, Device.cpu(), 0, null,
                        ProposalNetwork.Config.defaults(), Map.of("image", new int[] {8, 9})), Trainer.Listener.NONE));
        assertTrue(wrong.getMessage().contains("does not fit"), wrong.getMessage());
    }

    @Test
    void savingAndLoadingGivesIdenticalProposals(@TempDir Path dir) throws IOException {
        gaussian.save(dir);
        Artifact loaded = Artifact.load(dir, Device.cpu());
        try {
            Map<String, float[]> a = gaussian.network().weights();
            Map<String, float[]> b = loaded.network().weights();
            assertEquals(a.keySet(), b.keySet());
            a.forEach((k, v) -> assertArrayEquals(v, b.get(k), k));
            assertEquals(gaussian.modelIdentity(), loaded.modelIdentity());
            for (double y : new double[] {-3, 0.5, 8}) {
                Observations obs = Observations.of(Map.of("obs0", y, "obs1", y + 1));
                Distribution<?> prior = Normal.of(1, Math.sqrt(5));
                Distribution<?> p = new NetworkProposal(gaussian.network()).start(obs).propose(Address.named("mu"), 0, prior);
                Distribution<?> q = new NetworkProposal(loaded.network()).start(obs).propose(Address.named("mu"), 0, prior);
                for (double x = -10; x <= 15; x += 0.5) {
                    assertEquals(p.logProbOf(x), q.logProbOf(x), 0.0, "log q(" + x + ") for y = " + y);
                }
            }
        } finally {
            loaded.network().close();
        }
    }

    /**
     * One seed, one network, whatever the garbage collector does: the second training runs with
     * collections back to back. DJL's arrays for numbers ({@code x.div(n)}) live in Java memory that a
     * collection frees even while autograd holds them for the backward pass, so the loss writes its
     * numbers as {@code Constants} (docs/planing.md); before, the weights came out different.
     */
    @ParameterizedTest
    @ValueSource(strings = {"java", "native"})
    void trainingTwiceWithOneSeedGivesIdenticalWeights(String pass) throws InterruptedException {
        Map<String, float[]> first = withPass(pass, () -> small(5));
        Map<String, float[]> second;
        ScheduledExecutorService collector = Executors.newSingleThreadScheduledExecutor();
        collector.scheduleWithFixedDelay(System::gc, 0, 1, TimeUnit.MILLISECONDS);
        try {
            second = withPass(pass, () -> small(5));
        } finally {
            collector.shutdownNow();
            collector.awaitTermination(1, TimeUnit.MINUTES);
        }
        first.forEach((k, v) -> assertArrayEquals(v, second.get(k), k));
        Map<String, float[]> oneThread = withPass(pass, () -> small(5, 1));
        first.forEach((k, v) -> assertArrayEquals(v, oneThread.get(k), k + ", simulated on one thread"));
        Map<String, float[]> other = withPass(pass, () -> small(6));
        assertFalse(java.util.Arrays.equals(first.get("lstm.ih.weight"), other.get("lstm.ih.weight")));
    }

    /** What {@code work} gives with {@link Trainer#PASS_PROPERTY} set to {@code pass}. */
    private static <T> T withPass(String pass, java.util.function.Supplier<T> work) {
        String before = System.getProperty(Trainer.PASS_PROPERTY);
        System.setProperty(Trainer.PASS_PROPERTY, pass);
        try {
            return work.get();
        } finally {
            if (before == null) {
                System.clearProperty(Trainer.PASS_PROPERTY);
            } else {
                System.setProperty(Trainer.PASS_PROPERTY, before);
            }
        }
    }

    @Test
    void thePassIsChosenByWidthAndCanBeAskedFor() {
        TrainingOptions wide = options(256, 3, 256);
        TrainingOptions narrow = options(256, 3, 32);
        java.util.function.Function<TrainingOptions, String> pass = o -> {
            Artifact a = Trainer.train(RunSource.online(GAUSSIAN, "builtin:gaussian", 3, 2, 64), o, Trainer.Listener.NONE);
            a.network().close();
            return a.training().get("pass").asText();
        };
        assertEquals("java", pass.apply(narrow));
        assertEquals("native", pass.apply(wide), "above 128 units the native library's products are faster");
        assertEquals("java", withPass("java", () -> pass.apply(wide)));
        assertEquals("native", withPass("native", () -> pass.apply(narrow)));
        InvalidSettingException bad = assertThrows(InvalidSettingException.class, () -> withPass("fast", () -> pass.apply(
                narrow)));
        assertEquals("probe.training.pass must be auto, java or native, got 'fast'", bad.getMessage());
    }

    private static Map<String, float[]> small(long seed) {
        return small(seed, 2);
    }

    private static Map<String, float[]> small(long seed, int threads) {
        Artifact a = Trainer.train(RunSource.online(GAUSSIAN, "builtin:gaussian", seed, threads, 64), options(2_000, seed, 32),
                Trainer.Listener.NONE);
        try {
            return a.network().weights();
        } finally {
            a.network().close();
        }
    }

    @Test
    void aChoiceAtAnAddressTheNetworkNeverSawFallsBackToThePriorAndIsCounted() {
        Model renamed = Model.named("renamed", ctx -> {
            double mu = ctx.sample(Normal.of(1, Math.sqrt(5)), "other");
            ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs0");
            ctx.observe(Normal.of(mu, Math.sqrt(2)), "obs1");
            return mu;
        });
        Posterior p = Inference.importanceSampling(renamed).observe("obs0", 8.0).observe("obs1", 9.0)
                .proposal(new NetworkProposal(gaussian.network())).traces(500).seed(3).run();
        assertEquals("500", p.info().get("fallbacks"));
        assertEquals("0", p.info().get("proposed"));
        // A choice marked uncontrolled is never proposed, and counted apart.
        Model withNoise = Model.named("noise", ctx -> {
            double mu = ctx.sample(Normal.of(1, Math.sqrt(5)), "mu");
            double noise = ctx.sample(Normal.of(0, 0.01), "noise", false);
            ctx.observe(Normal.of(mu + noise, Math.sqrt(2)), "obs0");
            ctx.observe(Normal.of(mu + noise, Math.sqrt(2)), "obs1");
            return mu;
        });
        Posterior q = Inference.importanceSampling(withNoise).observe("obs0", 8.0).observe("obs1", 9.0)
                .proposal(new NetworkProposal(gaussian.network())).traces(500).seed(3).run();
        assertEquals("500", q.info().get("proposed"));
        assertEquals("0", q.info().get("fallbacks"));
        assertEquals("500", q.info().get("uncontrolled"));
        Proposer proposer = new NetworkProposal(gaussian.network()).start(Observations.of(Map.of("obs0", 1.0, "obs1", 2.0)));
        assertEquals(null, proposer.propose(Address.named("other"), 0, Normal.of(0, 1)));
    }

    @Test
    void aNetworkForAnotherModelADamagedFileOrAnUnknownVersionIsRefusedClearly(@TempDir Path dir) throws IOException {
        gaussian.save(dir);
        Artifact ok = Artifact.load(dir, Device.cpu());
        ArtifactException wrongModel = assertThrows(ArtifactException.class,
                () -> ok.requireModel("builtin:coin", "builtin:coin", dir));
        assertTrue(wrongModel.getMessage().contains("trained for builtin:gaussian"), wrongModel.getMessage());
        assertTrue(wrongModel.getMessage().contains("not for builtin:coin"), wrongModel.getMessage());
        ok.network().close();

        Path weights = dir.resolve("weights.bin");
        byte[] good = Files.readAllBytes(weights);
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x40;
        Files.write(weights, bad);
        ArtifactException damaged = assertThrows(ArtifactException.class, () -> Artifact.load(dir, Device.cpu()));
        assertTrue(damaged.getMessage().contains("damaged"), damaged.getMessage());

        Files.write(weights, java.util.Arrays.copyOf(good, good.length - 1000));
        ArtifactException truncated = assertThrows(ArtifactException.class, () -> Artifact.load(dir, Device.cpu()));
        assertTrue(truncated.getMessage().contains("damaged"), truncated.getMessage());

        Files.write(weights, good);
        Path json = dir.resolve("network.json");
        String meta = Files.readString(json);
        Files.writeString(json, meta.replace("\"version\" : 1", "\"version\" : 99"));
        ArtifactException version = assertThrows(ArtifactException.class, () -> Artifact.load(dir, Device.cpu()));
        assertTrue(version.getMessage().contains("format version 99"), version.getMessage());
        // Version 2 is the call-tree recurrence's and only its: a sequence network marked 2 is damaged.
        Files.writeString(json, meta.replace("\"version\" : 1", "\"version\" : 2"));
        ArtifactException mismatch = assertThrows(ArtifactException.class, () -> Artifact.load(dir, Device.cpu()));
        assertTrue(mismatch.getMessage().contains("format version 2 with recurrence sequence"), mismatch.getMessage());

        Files.writeString(json, meta.substring(0, meta.length() / 2));
        ArtifactException broken = assertThrows(ArtifactException.class, () -> Artifact.load(dir, Device.cpu()));
        assertTrue(broken.getMessage().contains("not valid JSON"), broken.getMessage());

        ArtifactException missing = assertThrows(ArtifactException.class,
                () -> Artifact.load(dir.resolve("nowhere"), Device.cpu()));
        assertTrue(missing.getMessage().contains("not a directory"), missing.getMessage());
    }

    @Test
    void aTraceDatasetIsWrittenOnceAndTrainsAsOftenAsWanted(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("gaussian.traces");
        TraceDataset.write(file, RunSource.online(GAUSSIAN, "builtin:gaussian", 8, 2, 64), 3000, 1000, n -> { });
        TraceDataset data = TraceDataset.read(file);
        assertEquals(3000, data.runs().size());
        assertEquals(GAUSSIAN.identity(), data.identity());
        List<SimulatedRun> again = RunSource.online(GAUSSIAN, "builtin:gaussian", 8, 2, 64).next(1000);
        for (int i = 0; i < again.size(); i++) {
            assertArrayEquals(again.get(i).observations().get("obs0"), data.runs().get(i).observations().get("obs0"));
            assertEquals(again.get(i).choices().get(0).value(), data.runs().get(i).choices().get(0).value());
        }
        Map<String, float[]> first = fromDataset(data, file);
        Map<String, float[]> second = fromDataset(TraceDataset.read(file), file);
        first.forEach((k, v) -> assertArrayEquals(v, second.get(k), k));

        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 3] ^= 1;
        Files.write(file, bytes);
        IllegalArgumentException damaged = assertThrows(IllegalArgumentException.class, () -> TraceDataset.read(file));
        assertTrue(damaged.getMessage().contains("damaged"), damaged.getMessage());
    }

    @Test
    void aFullAddressTableIsNeverSilent() {
        Model three = Model.named("three", ctx -> {
            double x = ctx.sample(Normal.of(0, 1), "x0") + ctx.sample(Normal.of(0, 1), "x1") + ctx.sample(Normal.of(0, 1), "x2");
            ctx.observe(Normal.of(x, 1), "y");
            return x;
        });
        TrainingOptions d = options(512, 3, 16);
        TrainingOptions o = new TrainingOptions(512, 64, 1e-3, 32, 3, 2, Device.cpu(), 0, null, d.network().withMaxAddresses(1),
                Map.of());
        List<String> warnings = new java.util.ArrayList<>();
        Artifact a = Trainer.train(RunSource.online(three, "three", 3, 2, 64), o, new Trainer.Listener() {
            @Override
            public void progress(long traces, long total, double trainLoss, double validLoss, double tracesPerSecond) {
            }

            @Override
            public void warning(String line) {
                warnings.add(line);
            }
        });
        try {
            assertEquals(1, warnings.size(), warnings.toString());
            // 2 of 3 addresses turned away, 2 choices in each of 512 runs.
            assertTrue(warnings.get(0).contains("2 more addresses (1024 training choices)"), warnings.get(0));
            assertTrue(warnings.get(0).contains("maxAddresses 3 or more"), warnings.get(0));
            assertEquals(2, a.training().path("addresses_refused").asInt());
        } finally {
            a.network().close();
        }
    }

    private static Map<String, float[]> fromDataset(TraceDataset data, Path file) {
        Artifact a = Trainer.train(data.source(file, 9), options(4_000, 9, 32), Trainer.Listener.NONE);
        try {
            assertTrue(a.training().path("source").asText().startsWith("dataset"));
            return a.network().weights();
        } finally {
            a.network().close();
        }
    }
}
