package dev.probe.proposals;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.numbers.gamma.LogGamma;

/**
 * Runs encoded for one pass of the network, packed: runs of any structure side by side, longest
 * first, and at each step only the runs that still have a choice to make. Rows are step-major:
 * step t holds {@code alive[t]} rows, one for each of the first {@code alive[t]} runs, starting
 * at row {@code offset[t]}. A run that has ended takes no row (no padding, nothing to mask), and
 * the LSTM state of the runs still going is a prefix of the previous step's. The LSTM core is the
 * same for all runs; each head takes the rows that are its own, gathered across the batch. Java
 * arrays only; the network makes its native arrays from them.
 */
public final class Batch {

    /** The rows one head scores. */
    static final class HeadRows {
        final List<Integer> rows = new ArrayList<>();
        final List<double[]> priors = new ArrayList<>();
        final List<Double> values = new ArrayList<>();
        /** Each row's weight in the loss (1 unless its run is weighted). */
        final List<Double> weights = new ArrayList<>();
    }

    final int size;
    final int steps;
    final float[] observations;
    /** Runs still making choices at each step (non-increasing). */
    final int[] alive;
    /** The first row of each step. */
    final int[] offset;
    /** The run (its place in the batch) of each row. */
    final int[] run;
    final int[] address;
    final int[] kind;
    final int[] previousAddress;
    final int[] previousKind;
    final float[] previousFeature;
    /**
     * With the call-tree recurrence, the row whose cell state each row continues from (its
     * parent's, {@link CallTree}), or -1 for the zero state; null for the plain sequence.
     */
    final int[] parentRow;
    final Map<Head, HeadRows> heads = new EnumMap<>(Head.class);
    /** Choices in the batch that the network scores. */
    final int choices;
    /** Whether some run weighs its choices ({@link Run#weights}): the loss then multiplies each term by its weight. */
    boolean weighted;

    private Batch(int size, int[] alive, int inputLength, int choices, boolean callTree) {
        this.size = size;
        this.steps = alive.length;
        this.alive = alive;
        this.observations = new float[size * inputLength];
        offset = new int[steps];
        int n = 0;
        for (int t = 0; t < steps; t++) {
            offset[t] = n;
            n += alive[t];
        }
        run = new int[n];
        address = new int[n];
        kind = new int[n];
        previousAddress = new int[n];
        previousKind = new int[n];
        previousFeature = new float[n];
        parentRow = callTree ? new int[n] : null;
        this.choices = choices;
    }

    /** Runs in the batch. */
    public int size() {
        return size;
    }

    /** Rows in the packed batch: every scored choice once, and one for each run without any. */
    public int rows() {
        return run.length;
    }

    /** The longest run's scored choices. */
    public int steps() {
        return steps;
    }

    /** Scored choices over all runs. */
    public int choices() {
        return choices;
    }

    /**
     * Encodes runs for {@code network}: choices at addresses it does not propose are left out of
     * the sequence, as they are at inference. With {@code learn}, new addresses join the table.
     */
    public static Batch of(List<Run> runs, ProposalNetwork network, boolean learn) {
        AddressTable table = network.addresses();
        List<int[]> rows = new ArrayList<>(runs.size());
        int[] known = new int[runs.size()];
        int steps = 0;
        int choices = 0;
        for (int bi = 0; bi < runs.size(); bi++) {
            Run r = runs.get(bi);
            int[] rs = new int[r.choices().size()];
            for (int i = 0; i < rs.length; i++) {
                Choice c = r.choices().get(i);
                rs[i] = learn ? table.learn(c) : table.row(c.address(), c.head());
                if (rs[i] > 0) {
                    known[bi]++;
                }
            }
            rows.add(rs);
            steps = Math.max(steps, known[bi]);
            choices += known[bi];
        }
        // Longest first (ties in batch order), so the runs still going at any step are a prefix.
        Integer[] order = new Integer[runs.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(known[b], known[a]));
        // A run without a scored choice still takes the first step's row (nothing reads it), so
        // that every pass has a step.
        int[] alive = new int[Math.max(steps, 1)];
        for (int k : known) {
            for (int t = 0; t < Math.max(k, 1); t++) {
                alive[t]++;
            }
        }
        int inputLength = network.inputLength();
        boolean callTree = network.config().callTree();
        Batch b = new Batch(runs.size(), alive, inputLength, choices, callTree);
        // Each row's own value feature, for the rows that take it as their parent's.
        float[] features = callTree ? new float[b.run.length] : null;
        for (int place = 0; place < order.length; place++) {
            int bi = order[place];
            Run r = runs.get(bi);
            b.weighted |= r.weights() != null;
            System.arraycopy(r.input(), 0, b.observations, place * inputLength, inputLength);
            b.run[b.offset[0] + place] = place;
            int t = 0;
            int prevRow = 0;
            int prevKind = 0;
            float prevFeature = 0;
            int[] rs = rows.get(bi);
            CallTree tree = callTree ? new CallTree() : null;
            for (int i = 0; i < rs.length; i++) {
                if (rs[i] <= 0) {
                    continue;
                }
                Choice c = r.choices().get(i);
                int at = b.offset[t] + place;
                int k = ProposalNetwork.kindIndex(c.kind());
                b.run[at] = place;
                b.address[at] = rs[i];
                b.kind[at] = k;
                if (tree != null) {
                    // The parent's row, address, kind and value; the zero state and inputs without one.
                    String frame = table.frame(rs[i]);
                    int level = tree.parent(frame);
                    int parent = level < 0 ? -1 : tree.id(level);
                    b.parentRow[at] = parent;
                    b.previousAddress[at] = parent < 0 ? 0 : b.address[parent];
                    b.previousKind[at] = parent < 0 ? 0 : b.kind[parent];
                    b.previousFeature[at] = parent < 0 ? 0 : features[parent];
                    tree.push(level, frame, at);
                    features[at] = (float) c.feature();
                } else {
                    b.previousAddress[at] = prevRow;
                    b.previousKind[at] = prevKind;
                    b.previousFeature[at] = prevFeature;
                }
                HeadRows h = b.heads.computeIfAbsent(c.head(), x -> new HeadRows());
                h.rows.add(at);
                h.priors.add(c.prior());
                h.values.add(c.value());
                h.weights.add(r.weight(i));
                prevRow = rs[i];
                prevKind = k;
                prevFeature = (float) c.feature();
                t++;
            }
        }
        return b;
    }

    /** log(x!) for the count heads' constant terms. */
    static double logFactorial(double x) {
        return LogGamma.value(x + 1);
    }
}
