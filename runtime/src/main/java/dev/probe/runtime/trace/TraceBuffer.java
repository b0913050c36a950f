package dev.probe.runtime.trace;

import java.util.Arrays;
import java.util.List;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.model.Address;

/**
 * The entries of a run under way, in order, held in parallel arrays that are reused from run to
 * run: a run whose whole trace nobody keeps then costs no object per entry. Real values are held
 * unboxed, so that a model's {@code double x = ctx.sample(...)} need not keep its box alive. A
 * {@link Variable} is made only when asked for ({@link #get}, {@link #toArray}). Not thread-safe:
 * one buffer belongs to one execution.
 */
public final class TraceBuffer {

    private Address[] addresses = new Address[8];
    private int[] instances = new int[8];
    private String[] names = new String[8];
    /** Roles by ordinal: a byte store is a smaller compile than a reference store (see {@link #add}). */
    private byte[] roles = new byte[8];
    private static final Variable.Role[] ROLES = Variable.Role.values();
    private Distribution<?>[] distributions = new Distribution<?>[8];
    /** Values other than reals; null where {@link #isReal} holds. */
    private Object[] values = new Object[8];
    private double[] reals = new double[8];
    private boolean[] isReal = new boolean[8];
    private double[] logProbs = new double[8];
    private boolean[] controlled = new boolean[8];
    private int size;
    /**
     * One past the last slot that may hold a value or a distribution: slots from here on are null.
     * A run whose entries are all unboxed reals with no distribution kept (importance sampling's
     * common case) then clears nothing between runs.
     */
    private int referencesEnd;

    /** The number of entries. */
    public int size() {
        return size;
    }

    /** Forgets every entry; the arrays are kept for the next run. */
    public void clear() {
        truncate(0);
    }

    /** Forgets the entries from {@code mark} on. */
    public void truncate(int mark) {
        // Drops the references, so that a buffer kept between runs holds no value alive.
        if (referencesEnd > mark) {
            Arrays.fill(values, mark, referencesEnd, null);
            Arrays.fill(distributions, mark, referencesEnd, null);
            referencesEnd = mark;
        }
        size = mark;
    }

    /** Appends an entry; the arguments are those of {@link Variable}'s fields. */
    public void add(Address address, int instance, String name, Variable.Role role, Distribution<?> distribution,
            Object value, double logProb, boolean isControlled) {
        if (size == values.length) {
            grow();
        }
        int i = size++;
        addresses[i] = address;
        instances[i] = instance;
        names[i] = name;
        roles[i] = (byte) role.ordinal();
        // Slots past the end hold null values and distributions (truncate clears them), so a null
        // is not stored again: the fewer reference stores, the smaller this compiles, and the more
        // readily the JIT inlines its callers (an observation into the model's code).
        if (distribution != null) {
            distributions[i] = distribution;
            referencesEnd = size;
        }
        if (value instanceof Double) {
            reals[i] = (Double) value;
            isReal[i] = true;
        } else {
            isReal[i] = false;
            values[i] = value;
            referencesEnd = size;
        }
        logProbs[i] = logProb;
        controlled[i] = isControlled;
    }

    /** Appends {@code v}. */
    public void add(Variable v) {
        add(v.address(), v.instance(), v.name(), v.role(), v.distribution(), v.value(), v.logProb(), v.controlled());
    }

    /** Appends every variable of {@code entries}, in order. */
    public void addAll(List<Variable> entries) {
        for (Variable v : entries) {
            add(v);
        }
    }

    private void grow() {
        int n = 2 * values.length;
        addresses = Arrays.copyOf(addresses, n);
        instances = Arrays.copyOf(instances, n);
        names = Arrays.copyOf(names, n);
        roles = Arrays.copyOf(roles, n);
        distributions = Arrays.copyOf(distributions, n);
        values = Arrays.copyOf(values, n);
        reals = Arrays.copyOf(reals, n);
        isReal = Arrays.copyOf(isReal, n);
        logProbs = Arrays.copyOf(logProbs, n);
        controlled = Arrays.copyOf(controlled, n);
    }

    /** Entry {@code i}'s address. */
    public Address address(int i) {
        return addresses[i];
    }

    /** Entry {@code i}'s instance number. */
    public int instance(int i) {
        return instances[i];
    }

    /** Entry {@code i}'s name, or null for an unnamed choice. */
    public String name(int i) {
        return names[i];
    }

    /** Entry {@code i}'s role. */
    public Variable.Role role(int i) {
        return ROLES[roles[i]];
    }

    /** Entry {@code i}'s value (a real is boxed anew). */
    public Object value(int i) {
        return isReal[i] ? Double.valueOf(reals[i]) : values[i];
    }

    /** Whether entry {@code i}'s value is a real ({@link Double}): then {@link #real} reads it unboxed. */
    public boolean isReal(int i) {
        return isReal[i];
    }

    /** Entry {@code i}'s real value; see {@link #isReal}. */
    public double real(int i) {
        return reals[i];
    }

    /** Entry {@code i}'s distribution; null for a tag, or where the execution did not keep it. */
    public Distribution<?> distribution(int i) {
        return distributions[i];
    }

    /** Entry {@code i} as a {@link Variable}. */
    public Variable get(int i) {
        return new Variable(addresses[i], instances[i], names[i], role(i), distributions[i], value(i), logProbs[i],
                controlled[i]);
    }

    /** Entries {@code from} to the end as variables, in order. */
    public Variable[] toArray(int from) {
        Variable[] out = new Variable[size - from];
        for (int i = from; i < size; i++) {
            out[i - from] = get(i);
        }
        return out;
    }

    /** Every entry as variables, in order. */
    public Variable[] toArray() {
        return toArray(0);
    }
}
