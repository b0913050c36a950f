package dev.probe.proposals;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.numbers.gamma.LogGamma;

/**
 * Runs encoded for one pass of the network: B runs side by side, their choice sequences padded to
 * the longest, step-major (row {@code t * B + b} is step t of run b). Runs of every structure
 * share the batch: the LSTM core is the same for all, and each head takes the rows that are its
 * own. Java arrays only; the network makes its native arrays from them.
 */
public final class Batch {

    /** The rows one head scores. */
    static final class HeadRows {
        final List<Integer> rows = new ArrayList<>();
        final List<double[]> priors = new ArrayList<>();
        final List<Double> values = new ArrayList<>();
    }

    final int size;
    final int steps;
    final float[] observations;
    final int[] address;
    final int[] kind;
    final int[] previousAddress;
    final int[] previousKind;
    final float[] previousFeature;
    final Map<Head, HeadRows> heads = new EnumMap<>(Head.class);
    /** Choices in the batch that the network scores. */
    final int choices;

    private Batch(int size, int steps, int inputLength, int choices) {
        this.size = size;
        this.steps = steps;
        this.observations = new float[size * inputLength];
        int n = steps * size;
        address = new int[n];
        kind = new int[n];
        previousAddress = new int[n];
        previousKind = new int[n];
        previousFeature = new float[n];
        this.choices = choices;
    }

    /** Runs in the batch. */
    public int size() {
        return size;
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
        int steps = 0;
        int choices = 0;
        for (Run r : runs) {
            int[] rs = new int[r.choices().size()];
            int known = 0;
            for (int i = 0; i < rs.length; i++) {
                Choice c = r.choices().get(i);
                rs[i] = learn ? table.learn(c) : table.row(c.address(), c.head());
                if (rs[i] > 0) {
                    known++;
                }
            }
            rows.add(rs);
            steps = Math.max(steps, known);
            choices += known;
        }
        int inputLength = network.inputLength();
        Batch b = new Batch(runs.size(), Math.max(steps, 1), inputLength, choices);
        for (int bi = 0; bi < runs.size(); bi++) {
            Run r = runs.get(bi);
            System.arraycopy(r.input(), 0, b.observations, bi * inputLength, inputLength);
            int t = 0;
            int prevRow = 0;
            int prevKind = 0;
            float prevFeature = 0;
            int[] rs = rows.get(bi);
            for (int i = 0; i < rs.length; i++) {
                if (rs[i] <= 0) {
                    continue;
                }
                Choice c = r.choices().get(i);
                int at = t * b.size + bi;
                int k = ProposalNetwork.kindIndex(c.kind());
                b.address[at] = rs[i];
                b.kind[at] = k;
                b.previousAddress[at] = prevRow;
                b.previousKind[at] = prevKind;
                b.previousFeature[at] = prevFeature;
                HeadRows h = b.heads.computeIfAbsent(c.head(), x -> new HeadRows());
                h.rows.add(at);
                h.priors.add(c.prior());
                h.values.add(c.value());
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
