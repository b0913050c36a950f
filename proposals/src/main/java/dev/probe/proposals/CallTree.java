package dev.probe.proposals;

/**
 * Which earlier choice a choice descends from in the program's call tree, read from addresses:
 * for the {@link ProposalNetwork.Config#callTree call-tree recurrence}, where a choice's cell
 * state and "previous choice" inputs come from that choice rather than from the one made just
 * before it.
 *
 * <p>An unnamed choice's address is its own site followed by the chain of call sites that led to
 * it, innermost first, and its kind: {@code shower@14:18/shower@17:10/main@24:17#Beta}. Its
 * <em>frame</em> is that chain without its own site ({@code shower@17:10/main@24:17}); a choice
 * made in the script's top level, and any key without a '/' before its last '#' (a name, most
 * external simulators' addresses) have the empty frame. Only the key is read, so a name such as
 * {@code layer1/p3#x} is read as the frame {@code p3}. A choice's parent is the latest earlier choice, still on the
 * stack, whose frame encloses its own (is a suffix of it, or equal to it): the choice made by the
 * function invocation that called this one, or the previous choice of the same invocation. On a
 * recursive simulator such as a particle shower this makes the state that reaches a particle's
 * choice the one that followed its parent's energy, however large the subtree explored between
 * them; where every frame is the same (a loop, an external simulator) the parent is always the
 * previous choice and the recurrence is the plain sequence.
 *
 * <p>Training ({@link Batch}) and inference ({@link NetworkProposal}) both go through this one
 * stack, so they cannot disagree. It is a heuristic on address strings: it decides what the
 * network sees, never a weight, so a frame it misreads costs proposal quality, not correctness.
 */
final class CallTree {

    /** The frame of an address key: the call-site chain between its own site and its kind; "" at the top level. */
    static String frame(String key) {
        int slash = key.indexOf('/');
        int hash = key.lastIndexOf('#');
        if (slash < 0 || hash < slash) {
            return "";
        }
        return key.substring(slash + 1, hash);
    }

    /** Whether a choice in frame {@code outer} encloses one in frame {@code inner} (suffix, or equal). */
    static boolean encloses(String outer, String inner) {
        if (outer.isEmpty() || outer.equals(inner)) {
            return true;
        }
        int at = inner.length() - outer.length();
        return at > 0 && inner.charAt(at - 1) == '/' && inner.endsWith(outer);
    }

    private String[] frames = new String[8];
    private int[] ids = new int[8];
    private int depth;

    /**
     * The stack level of the parent of a choice in {@code frame}, or -1 where it has none: the
     * highest entry whose frame encloses it. Entries above it can be the parent of no later
     * choice; {@link #push} drops them.
     */
    int parent(String frame) {
        int level = depth - 1;
        while (level >= 0 && !encloses(frames[level], frame)) {
            level--;
        }
        return level;
    }

    /** The id a level's choice was {@link #push pushed} with. */
    int id(int level) {
        return ids[level];
    }

    /**
     * Records a choice in {@code frame} whose parent is at {@code parent} ({@link #parent}, -1
     * for none); returns the stack level it takes, which an inference's buffers are indexed by.
     * A choice in its parent's frame replaces it: any later choice that the older one encloses,
     * the newer one encloses too, and it is later.
     */
    int push(int parent, String frame, int id) {
        depth = parent + 1;
        if (depth > 0 && frames[depth - 1].equals(frame)) {
            depth--;
        }
        if (depth == frames.length) {
            frames = java.util.Arrays.copyOf(frames, depth * 2);
            ids = java.util.Arrays.copyOf(ids, depth * 2);
        }
        frames[depth] = frame;
        ids[depth] = id;
        return depth++;
    }

    /** Entries on the stack. */
    int depth() {
        return depth;
    }

    /** A copy, for a run's snapshot. */
    CallTree copy() {
        CallTree t = new CallTree();
        t.frames = frames.clone();
        t.ids = ids.clone();
        t.depth = depth;
        return t;
    }
}
