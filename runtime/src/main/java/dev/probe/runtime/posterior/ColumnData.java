package dev.probe.runtime.posterior;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The values one variable took across a range of runs, held as a column: doubles (NaN where the
 * variable did not occur) for numbers and booleans, objects (null where absent) otherwise. Mutable
 * while a posterior is built, never after.
 */
final class ColumnData implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private ValueKind kind;
    private double[] numbers;
    private Object[] objects;
    private final int capacity;
    /** The first (run, position) at which the variable occurred, to order columns as the runs did. */
    private long firstSeen = Long.MAX_VALUE;

    /** Where a builder's column has been written, as [start, length) pairs; null when it needs no tracking. */
    private List<int[]> covered;

    ColumnData(int capacity) {
        this.capacity = capacity;
    }

    /**
     * A column that will be filled by ranges ({@link #prepare}, then {@link #copyRange}) and closed by
     * {@link #finishCoverage}; its storage is not pre-filled, so creating it costs no pass over it.
     */
    static ColumnData forRanges(int capacity) {
        ColumnData c = new ColumnData(capacity);
        c.covered = new ArrayList<>();
        return c;
    }

    ColumnData(ValueKind kind, double[] numbers, Object[] objects, long firstSeen) {
        this.kind = kind;
        this.numbers = numbers;
        this.objects = objects;
        this.capacity = numbers != null ? numbers.length : objects.length;
        this.firstSeen = firstSeen;
    }

    ValueKind kind() {
        return kind;
    }

    int capacity() {
        return capacity;
    }

    long firstSeen() {
        return firstSeen;
    }

    double[] numbers() {
        return numbers;
    }

    Object[] objects() {
        return objects;
    }

    void set(int i, Object value, long seen) {
        if (kind == ValueKind.REAL && value instanceof Double) {
            // The common case, a real in a real column: nothing to widen.
            numbers[i] = (Double) value;
        } else {
            setWidening(i, value);
        }
        if (seen < firstSeen) {
            firstSeen = seen;
        }
    }

    /** {@link #set} for a real value, unboxed. */
    void setReal(int i, double value, long seen) {
        if (kind == ValueKind.REAL) {
            numbers[i] = value;
            if (seen < firstSeen) {
                firstSeen = seen;
            }
        } else {
            set(i, value, seen);
        }
    }

    private void setWidening(int i, Object value) {
        ValueKind k = ValueKind.of(value);
        widen(ValueKind.join(kind, k));
        if (kind.numeric()) {
            numbers[i] = toNumber(value);
        } else {
            objects[i] = value;
        }
    }

    boolean present(int i) {
        return kind.numeric() ? !Double.isNaN(numbers[i]) : objects[i] != null;
    }

    Object get(int i) {
        if (!kind.numeric()) {
            return objects[i];
        }
        double d = numbers[i];
        if (Double.isNaN(d)) {
            return null;
        }
        switch (kind) {
            case BOOLEAN:
                return d != 0;
            case INTEGER:
                return (long) d;
            default:
                return d;
        }
    }

    /**
     * Makes room for {@code source}'s values at {@code offset}: widens the kind and records the range.
     * Callers serialise this; {@link #copyRange} calls for disjoint ranges may then run at once.
     */
    void prepare(ColumnData source, int offset) {
        widen(ValueKind.join(kind, source.kind));
        covered.add(new int[] {offset, source.capacity});
        firstSeen = Math.min(firstSeen, source.firstSeen);
    }

    /** Copies a prepared range. */
    void copyRange(ColumnData source, int offset) {
        int n = source.capacity;
        if (kind.numeric()) {
            System.arraycopy(source.numbers, 0, numbers, offset, n);
        } else if (source.kind.numeric()) {
            for (int i = 0; i < n; i++) {
                objects[offset + i] = source.get(i);
            }
        } else {
            System.arraycopy(source.objects, 0, objects, offset, n);
        }
    }

    /** Marks every run that no range covered as absent (NaN); the column is complete afterwards. */
    void finishCoverage() {
        if (covered == null) {
            return;
        }
        if (kind != null && kind.numeric()) {
            covered.sort((a, b) -> Integer.compare(a[0], b[0]));
            int next = 0;
            for (int[] r : covered) {
                Arrays.fill(numbers, next, r[0], Double.NaN);
                next = r[0] + r[1];
            }
            Arrays.fill(numbers, next, capacity, Double.NaN);
        }
        covered = null;
    }

    /** Copies {@code source}'s values into this column from index {@code offset} on. */
    void copyFrom(ColumnData source, int offset) {
        widen(ValueKind.join(kind, source.kind));
        copyRange(source, offset);
        firstSeen = Math.min(firstSeen, source.firstSeen);
    }

    private void widen(ValueKind to) {
        if (to == kind) {
            return;
        }
        if (kind == null) {
            if (to.numeric()) {
                numbers = new double[capacity];
                if (covered == null) {
                    Arrays.fill(numbers, Double.NaN);
                }
            } else {
                objects = new Object[capacity];
            }
        } else if (kind.numeric() && !to.numeric()) {
            objects = new Object[capacity];
            if (covered == null) {
                for (int i = 0; i < capacity; i++) {
                    objects[i] = get(i);
                }
            } else {
                // Only the covered ranges hold values; the rest of the numbers were never written.
                for (int[] r : covered) {
                    for (int i = r[0]; i < r[0] + r[1]; i++) {
                        objects[i] = get(i);
                    }
                }
            }
            numbers = null;
        }
        kind = to;
    }

    private static double toNumber(Object value) {
        if (value instanceof Boolean) {
            return (Boolean) value ? 1 : 0;
        }
        return ((Number) value).doubleValue();
    }
}
