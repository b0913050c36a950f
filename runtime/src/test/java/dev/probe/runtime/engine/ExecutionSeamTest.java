package dev.probe.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.inference.ImportanceSampling;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.inference.RunGroup;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/** Runs [a, b) are a standalone unit of work: however the runs are cut, the posterior is the same to the last bit. */
class ExecutionSeamTest {

    /** Runs differ in structure (a Poisson count of unnamed normals) and carry a tag and a result. */
    static final Model MODEL = ctx -> {
        long n = ctx.sample(Poisson.of(3), "n");
        double s = 0;
        for (long i = 0; i < n; i++) {
            s += ctx.sample(Normal.of(0, 1));
        }
        ctx.tag(s, "total");
        ctx.observe(Normal.of(s, 1), "y");
        return n;
    };

    /** A block as another machine would send it back: serialized and read again. */
    private static IndependentRuns.Block shipped(IndependentRuns.Block block) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(block);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (IndependentRuns.Block) in.readObject();
        }
    }

    @Test
    void blocksCutAnotherWayAndShippedMergeIntoTheSamePosterior() throws Exception {
        Inference inference = Inference.importanceSampling(MODEL).observe("y", 2.0).traces(5000).seed(21).threads(2)
                .recordAddresses(true);
        Settings settings = inference.settings();
        ImportanceSampling engine = (ImportanceSampling) inference.engine();
        Posterior whole = engine.run(settings);
        IndependentRuns.Work work = new IndependentRuns.Work(engine.options().proposal(), true, true);
        int[] cuts = {0, 1, 777, 2500, 2501, 4999, 5000};
        List<IndependentRuns.Block> blocks = new ArrayList<>();
        // Computed in reverse order, as a cluster might finish them.
        for (int k = cuts.length - 2; k >= 0; k--) {
            blocks.add(shipped(IndependentRuns.compute(settings, work, cuts[k], cuts[k + 1])));
        }
        Posterior merged = engine.assemble(settings, blocks);
        assertArrayEquals(whole.logWeights(), merged.logWeights());
        assertEquals(Double.doubleToRawLongBits(whole.logEvidence().getAsDouble()),
                Double.doubleToRawLongBits(merged.logEvidence().getAsDouble()));
        assertEquals(whole.names(), merged.names());
        assertEquals(whole.addresses(), merged.addresses());
        for (String key : whole.names()) {
            for (int i = 0; i < whole.size(); i++) {
                assertEquals(whole.value(key, i), merged.value(key, i), key + " run " + i);
            }
        }
        for (int i = 0; i < whole.size(); i++) {
            assertEquals(whole.resultValue(i), merged.resultValue(i));
        }
        assertEquals(whole.info(), merged.info());
        assertEquals(whole.diagnostics(), merged.diagnostics());
    }

    @Test
    void blocksThatLeaveAGapAreRefused() {
        Inference inference = Inference.importanceSampling(MODEL).observe("y", 2.0).traces(100).seed(1);
        Settings settings = inference.settings();
        ImportanceSampling engine = (ImportanceSampling) inference.engine();
        IndependentRuns.Work work = new IndependentRuns.Work(engine.options().proposal(), true, true);
        List<IndependentRuns.Block> blocks = List.of(IndependentRuns.compute(settings, work, 0, 40),
                IndependentRuns.compute(settings, work, 50, 100));
        assertThrows(IllegalArgumentException.class, () -> engine.assemble(settings, blocks));
    }

    @Test
    void combiningRefusesPosteriorsOfOtherObservationsOrEngines() {
        Posterior a = Inference.importanceSampling(MODEL).observe("y", 2.0).traces(200).seed(1).run();
        Posterior b = Inference.importanceSampling(MODEL).observe("y", 2.0).traces(300).seed(2).run();
        Posterior other = Inference.importanceSampling(MODEL).observe("y", 3.0).traces(200).seed(3).run();
        Posterior mh = Inference.metropolisHastings(MODEL).observe("y", 2.0).traces(200).seed(4).run();
        assertEquals(500, Posterior.combine(List.of(a, b)).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Posterior.combine(List.of(a, other)));
        assertTrue(e.getMessage().contains("observations"), e.getMessage());
        Posterior prior = Inference.prior(MODEL).traces(200).seed(5).run();
        e = assertThrows(IllegalArgumentException.class, () -> Posterior.combine(List.of(prior, a)));
        assertTrue(e.getMessage().contains("engine"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Posterior.combine(List.of(a, mh)));
    }

    /**
     * A proposal that answers runs in batches, as ic's network does: each normal choice is drawn
     * from N(prior mean + 0.5, twice the prior's sd), asked of the run's group when it has one.
     * It notes the threads that ask, the requests and the batches.
     */
    static final class Batched implements Proposal {
        final int size;
        final AtomicLong asks = new AtomicLong();
        final AtomicLong batches = new AtomicLong();
        final Set<String> threads = ConcurrentHashMap.newKeySet();

        Batched(int size) {
            this.size = size;
        }

        @Override
        public int groupSize() {
            return size;
        }

        @Override
        public Proposer start(Observations observations) {
            return start(observations, null, 0);
        }

        @Override
        public Proposer start(Observations observations, RunGroup group, int member) {
            return (address, instance, prior) -> {
                if (!(prior instanceof Normal n)) {
                    return null;
                }
                threads.add(Thread.currentThread().getName());
                if (group == null) {
                    return shifted(n);
                }
                asks.incrementAndGet();
                return (Distribution<?>) group.await(member, n, batch -> {
                    batches.incrementAndGet();
                    Object[] out = new Object[batch.length];
                    for (int i = 0; i < batch.length; i++) {
                        out[i] = batch[i] == null ? null : shifted((Normal) batch[i]);
                    }
                    return out;
                });
            };
        }

        static Normal shifted(Normal n) {
            return Normal.of(n.mean() + 0.5, 2 * n.stddev());
        }
    }

    @Test
    void runsAdvancedInGroupsRunOnTheBackendsThreadsAndGiveTheSamePosteriorWhateverTheThreads() {
        Batched grouped = new Batched(8);
        Posterior one = Inference.importanceSampling(MODEL).observe("y", 2.0).proposal(grouped).traces(3000).seed(5)
                .threads(1).run();
        Posterior two = Inference.importanceSampling(MODEL).observe("y", 2.0).proposal(grouped).traces(3000).seed(5)
                .threads(2).run();
        Posterior alone = Inference.importanceSampling(MODEL).observe("y", 2.0).proposal(new Batched(1)).traces(3000).seed(5)
                .threads(2).run();
        assertArrayEquals(one.logWeights(), two.logWeights());
        // Each answer depends on its own request alone, so runs answered in batches equal runs answered one by one.
        assertArrayEquals(alone.logWeights(), one.logWeights());
        assertTrue(grouped.batches.get() > 0 && 2 * grouped.batches.get() < grouped.asks.get(),
                grouped.batches + " batches for " + grouped.asks + " requests");
        for (String name : grouped.threads) {
            assertTrue(name.startsWith("probe-worker-"), "a grouped run asked from thread " + name);
        }
    }
}
