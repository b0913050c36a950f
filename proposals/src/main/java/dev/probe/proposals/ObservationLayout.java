package dev.probe.proposals;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import dev.probe.runtime.model.MissingObservationException;

/**
 * How a run's named observations become the network's input: their names in order, each one's
 * length once flattened, the grid shape of those embedded by a CNN, and the mean and standard
 * deviation of every element over the training data (inputs are standardised).
 */
public final class ObservationLayout {

    /**
     * One named observation.
     *
     * @param name  the observation's name
     * @param shape its grid shape for a CNN (2 or 3 dimensions), or null for the MLP
     * @param mean  the mean of each flattened element over training data
     * @param std   the standard deviation of each element (at least a small floor)
     */
    public record Entry(String name, int[] shape, double[] mean, double[] std) {

        /** @throws IllegalArgumentException when the standardisation could not be applied (it would divide by zero) */
        public Entry {
            if (mean.length != std.length) {
                throw new IllegalArgumentException("observation '" + name + "' has " + mean.length + " means but " + std.length
                        + " standard deviations");
            }
            for (int i = 0; i < std.length; i++) {
                if (!(std[i] > 0 && std[i] < Double.POSITIVE_INFINITY) || !Double.isFinite(mean[i])) {
                    throw new IllegalArgumentException("observation '" + name + "' element " + i + " has mean " + mean[i]
                            + " and standard deviation " + std[i] + ": a standard deviation must be positive and finite");
                }
            }
        }

        /** Flattened elements. */
        public int length() {
            return mean.length;
        }

        /** Whether a CNN embeds it. */
        public boolean isImage() {
            return shape != null;
        }
    }

    private final List<Entry> entries;

    public ObservationLayout(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Elements of the inputs that the MLP takes directly (all but images). */
    int vectorLength() {
        int n = 0;
        for (Entry e : entries) {
            if (!e.isImage()) {
                n += e.length();
            }
        }
        return n;
    }

    /**
     * The standardised input vector for these observation values: the non-image entries first, in
     * order, then each image.
     *
     * @throws IllegalArgumentException naming an observation of the wrong size
     * @throws MissingObservationException naming an observation with no value
     */
    public float[] input(Map<String, ?> values) {
        int total = 0;
        for (Entry e : entries) {
            total += e.length();
        }
        float[] out = new float[total];
        int at = 0;
        for (boolean images : new boolean[] {false, true}) {
            for (Entry e : entries) {
                if (e.isImage() != images) {
                    continue;
                }
                Object v = values.get(e.name());
                if (v == null) {
                    throw new MissingObservationException(e.name(), "the network was trained with it");
                }
                double[] flat = flatten(v);
                if (flat.length != e.length()) {
                    throw new IllegalArgumentException("observation '" + e.name() + "' has " + flat.length + " element"
                            + (flat.length == 1 ? "" : "s") + ", but the network was trained on " + e.length());
                }
                for (int i = 0; i < flat.length; i++) {
                    out[at++] = (float) ((flat[i] - e.mean()[i]) / e.std()[i]);
                }
            }
        }
        return out;
    }

    /** Flattens a number, boolean, array, nested array or list into its elements in row-major order. */
    public static double[] flatten(Object value) {
        // The common cases without boxing: a vector of doubles, one number.
        if (value instanceof double[] d) {
            return d.clone();
        }
        if (value instanceof Number n) {
            return new double[] {n.doubleValue()};
        }
        List<Double> out = new ArrayList<>();
        flattenInto(value, out);
        double[] a = new double[out.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = out.get(i);
        }
        return a;
    }

    private static void flattenInto(Object v, List<Double> out) {
        if (v instanceof Number) {
            out.add(((Number) v).doubleValue());
        } else if (v instanceof Boolean) {
            out.add((Boolean) v ? 1.0 : 0.0);
        } else if (v instanceof List) {
            for (Object o : (List<?>) v) {
                flattenInto(o, out);
            }
        } else if (v != null && v.getClass().isArray()) {
            int n = Array.getLength(v);
            for (int i = 0; i < n; i++) {
                flattenInto(Array.get(v, i), out);
            }
        } else {
            throw new IllegalArgumentException("an observation must be numbers or booleans, not " + v);
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Entry e : entries) {
            b.append(b.length() == 0 ? "" : ", ").append(e.name()).append(e.isImage() ? Arrays.toString(e.shape())
                    : "[" + e.length() + "]");
        }
        return b.toString();
    }
}
