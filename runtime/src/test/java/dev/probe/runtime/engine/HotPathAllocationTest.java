package dev.probe.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * Importance sampling's hot path makes no object per run beyond the posterior's columns and what
 * the model itself makes: no trace, no variable, no entry, no lambda nobody asked for (issue 9,
 * point 7). Allocated bytes are counted, not time: they do not depend on the machine's load, and
 * the bound below holds even where the JIT removes none of the model's objects, so it holds in any
 * JVM that runs these tests, however warm.
 */
class HotPathAllocationTest {

    /** The Gaussian of the floor benchmark (dev.probe.models.Gaussian, which this module cannot see). */
    static final Model GAUSSIAN = ctx -> {
        double mu = ctx.sample(Normal.of(1, Math.sqrt(5)), "mu");
        Normal likelihood = Normal.of(mu, Math.sqrt(2));
        ctx.observe(likelihood, "obs0");
        ctx.observe(likelihood, "obs1");
        return mu;
    };

    static final int RUNS = 1 << 16;

    /**
     * Bytes per run that an inference of {@link #GAUSSIAN} may allocate. The posterior's columns:
     * the weight, mu and the result, 8 B each, in the block's chunk and again in the posterior
     * (48 B). The model's own objects where the JIT scalar-replaces none of them (the interpreter,
     * C1, or C2 where a call was not inlined): two Normal (40 B each with compressed class
     * pointers), boxes of the drawn value and of the result (16 B each), the two sampler objects
     * Normal.sample makes (24 + 16 B) and whatever else a JVM without escape analysis boxes. The
     * per-block objects (an execution, a chunk, a few maps: about 3.5 kB per 1,024 runs). Measured
     * (2026-12-02, 2^16 runs): 219.9 B with escape analysis off (-XX:-DoEscapeAnalysis, and with
     * C1 alone), 91.7 B in a fresh JVM with C2; the bound leaves 36 B over the first for other
     * JVMs' object layouts. A whole trace kept per run (a Trace, a Variable[] and three Variable)
     * costs about 150 B more, which the bound catches.
     */
    static final double MAX_BYTES_PER_RUN = 256;

    /** Runs every task on the calling thread, so that its allocation counter sees all of the work. */
    static final Backend HERE = Backend.callingThread();

    private static Posterior importanceSampling(int runs) {
        return Inference.importanceSampling(GAUSSIAN).observe("obs0", 8.0).observe("obs1", 9.0).traces(runs).seed(1)
                .backend(HERE).run();
    }

    /** The JVM's per-thread allocation counter; the test is skipped where the JVM has none or it is off. */
    private static com.sun.management.ThreadMXBean allocationCounter() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter in this JVM");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation counting is off in this JVM");
        return threads;
    }

    @Test
    void importanceSamplingAllocatesOnlyColumnsAndTheModelsObjects() {
        com.sun.management.ThreadMXBean threads = allocationCounter();
        long id = Thread.currentThread().getId();
        // Warm-up, so that the figure is the steady state's (the bound holds before it too).
        for (int k = 0; k < 5; k++) {
            importanceSampling(RUNS);
        }
        double least = Double.POSITIVE_INFINITY;
        for (int k = 0; k < 3; k++) {
            long before = threads.getThreadAllocatedBytes(id);
            Posterior p = importanceSampling(RUNS);
            long after = threads.getThreadAllocatedBytes(id);
            assertEquals(RUNS, p.size());
            least = Math.min(least, (after - before) / (double) RUNS);
        }
        // The least of three: a collection or a compilation that lands inside one call allocates nothing on this thread,
        // but the first call after a deoptimisation may run interpreted.
        assertTrue(least <= MAX_BYTES_PER_RUN, "importance sampling allocated " + least + " B per run, more than the "
                + MAX_BYTES_PER_RUN + " B of its columns and the model's own objects: something is made per run");
    }

    @Test
    void keptTracesAreWhatTheBoundCatches() {
        com.sun.management.ThreadMXBean threads = allocationCounter();
        long id = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(id);
        Inference.importanceSampling(GAUSSIAN).observe("obs0", 8.0).observe("obs1", 9.0).traces(RUNS).seed(1).backend(HERE)
                .keepTraces(true).run();
        long after = threads.getThreadAllocatedBytes(id);
        // The measure sees a trace per run: asked for, they cost more than the bound allows.
        assertTrue((after - before) / (double) RUNS > MAX_BYTES_PER_RUN, "kept traces cost only "
                + (after - before) / (double) RUNS + " B per run");
    }
}
