package dev.probe.runtime.inference;

import java.util.function.Function;

/**
 * Runs that advance side by side so that a proposal can answer them in one batch: each member
 * asks with {@link #await} and blocks; once every member still running is waiting, their requests
 * are evaluated together, in member order, and each gets its answer. A batch holds exactly the
 * members still running, so its make-up (and so its result, to the last bit) depends on the runs'
 * seeds alone, never on timing or thread count.
 */
public final class RunGroup {

    private final Object[] requests;
    private final Object[] answers;
    private final boolean[] waiting;
    private int live;
    private int waitingCount;
    private long batches;
    private RuntimeException failure;
    private Function<Object[], Object[]> evaluator;

    /** A group of {@code size} runs; for the runtime's run machinery. */
    public RunGroup(int size) {
        requests = new Object[size];
        answers = new Object[size];
        waiting = new boolean[size];
        live = size;
    }

    /** Members in the group. */
    public int size() {
        return requests.length;
    }

    /**
     * Member {@code member}'s request, answered with the others'. {@code evaluator} gets the
     * requests of one batch (null for members not in it) and returns the answers in the same places.
     */
    public synchronized Object await(int member, Object request, Function<Object[], Object[]> evaluator) {
        requests[member] = request;
        waiting[member] = true;
        waitingCount++;
        this.evaluator = evaluator;
        if (waitingCount == live) {
            fire();
        } else {
            long batch = batches;
            while (batches == batch) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a batched proposal", e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
        Object a = answers[member];
        answers[member] = null;
        return a;
    }

    /** Member {@code member} has finished its run: the others no longer wait for it. */
    public synchronized void leave(int member) {
        live--;
        if (live > 0 && waitingCount == live) {
            fire();
        }
    }

    private void fire() {
        Object[] batch = new Object[requests.length];
        for (int i = 0; i < batch.length; i++) {
            if (waiting[i]) {
                batch[i] = requests[i];
            }
        }
        try {
            Object[] out = evaluator.apply(batch);
            for (int i = 0; i < batch.length; i++) {
                if (waiting[i]) {
                    answers[i] = out[i];
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        java.util.Arrays.fill(waiting, false);
        java.util.Arrays.fill(requests, null);
        waitingCount = 0;
        batches++;
        notifyAll();
    }
}
