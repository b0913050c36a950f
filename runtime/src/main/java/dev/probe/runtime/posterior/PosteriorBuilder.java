package dev.probe.runtime.posterior;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.probe.runtime.model.Address;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.TraceBuffer;
import dev.probe.runtime.trace.Variable;

/**
 * Collects runs into a posterior of a size fixed in advance. Engines fill {@link Chunk}s, each a
 * contiguous range of run indices, on any thread and in any order; {@link #add} copies a chunk's
 * columns into place. What is built depends only on which run went where, never on the order in
 * which chunks arrived, so a seed fixes the posterior whatever the thread count.
 */
public final class PosteriorBuilder {

    private final int size;
    private final boolean recordUnnamed;
    private final boolean keepTraces;
    private final Set<String> givenObservations;
    private final double[] logWeights;
    private final Map<Key, ColumnData> columns = new HashMap<>();
    private final ColumnData result;
    private final Trace[] traces;
    /** Runs per block of the evidence sum: fixed, so the sum's rounding never depends on how runs were cut. */
    static final int EVIDENCE_BLOCK = 1024;
    /** Column layout changes take the write lock; copies into disjoint ranges share the read lock. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    /**
     * @param size              the number of runs the posterior will hold
     * @param recordUnnamed     whether to keep columns for unnamed samples, by address
     * @param keepTraces        whether to keep every whole trace (memory grows with each run)
     * @param givenObservations names whose values were given: not recorded as variables
     */
    public PosteriorBuilder(int size, boolean recordUnnamed, boolean keepTraces, Set<String> givenObservations) {
        this.size = size;
        this.recordUnnamed = recordUnnamed;
        this.keepTraces = keepTraces;
        this.givenObservations = Set.copyOf(givenObservations);
        this.logWeights = new double[size];
        this.result = ColumnData.forRanges(size);
        this.traces = keepTraces ? new Trace[size] : null;
    }

    /** A chunk for runs {@code start .. start + length - 1}. */
    public Chunk chunk(int start, int length) {
        return new Chunk(start, length, recordUnnamed, keepTraces, givenObservations);
    }

    /**
     * A chunk for runs {@code start .. start + length - 1}, made apart from any builder (on
     * another thread or machine) and {@link #add added} to one with the same layout later.
     */
    public static Chunk chunk(int start, int length, boolean recordUnnamed, boolean keepTraces, Set<String> givenObservations) {
        return new Chunk(start, length, recordUnnamed, keepTraces, Set.copyOf(givenObservations));
    }

    /**
     * Copies a filled chunk into place. Workers call it concurrently: only finding or widening the
     * columns is serialised; the copies into this chunk's range run side by side with others'.
     */
    public void add(Chunk chunk) {
        if (chunk.start < 0 || chunk.start + chunk.length > size) {
            throw new IllegalArgumentException("a chunk of runs " + chunk.start + ".." + (chunk.start + chunk.length)
                    + " does not fit a posterior of " + size + " runs");
        }
        List<ColumnData[]> copies = new ArrayList<>(chunk.columns.size() + 1);
        lock.writeLock().lock();
        try {
            chunk.columns.forEach((key, data) -> {
                ColumnData global = columns.computeIfAbsent(key, k -> ColumnData.forRanges(size));
                global.prepare(data, chunk.start);
                copies.add(new ColumnData[] {global, data});
            });
            if (chunk.result.kind() != null) {
                result.prepare(chunk.result, chunk.start);
                copies.add(new ColumnData[] {result, chunk.result});
            }
        } finally {
            lock.writeLock().unlock();
        }
        lock.readLock().lock();
        try {
            System.arraycopy(chunk.logWeights, 0, logWeights, chunk.start, chunk.length);
            for (ColumnData[] c : copies) {
                c[0].copyRange(c[1], chunk.start);
            }
            if (keepTraces && chunk.traces != null) {
                System.arraycopy(chunk.traces, 0, traces, chunk.start, chunk.length);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * log of the mean of exp(log weight) over all runs: importance sampling's log evidence.
     * Summed in fixed blocks of runs, in run order, so that its last bit depends on the weights
     * alone, never on how the runs were cut into chunks.
     */
    public double logMeanWeight() {
        lock.writeLock().lock();
        try {
            int blocks = (size + EVIDENCE_BLOCK - 1) / EVIDENCE_BLOCK;
            double[] maxima = new double[blocks];
            double[] sums = new double[blocks];
            double max = Double.NEGATIVE_INFINITY;
            for (int b = 0; b < blocks; b++) {
                int from = b * EVIDENCE_BLOCK;
                int to = Math.min(size, from + EVIDENCE_BLOCK);
                double m = Double.NEGATIVE_INFINITY;
                for (int i = from; i < to; i++) {
                    m = Math.max(m, logWeights[i]);
                }
                double sum = 0;
                if (m > Double.NEGATIVE_INFINITY && m < Double.POSITIVE_INFINITY) {
                    for (int i = from; i < to; i++) {
                        sum += Math.exp(logWeights[i] - m);
                    }
                }
                maxima[b] = m;
                sums[b] = sum;
                max = Math.max(max, m);
            }
            if (max == Double.NEGATIVE_INFINITY || max == Double.POSITIVE_INFINITY) {
                return max;
            }
            double total = 0;
            for (int b = 0; b < blocks; b++) {
                total += sums[b] * Math.exp(maxima[b] - max);
            }
            return max + Math.log(total) - Math.log(size);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * The posterior of everything added; {@code chains} gives MH chain lengths (null for weighted
     * runs). Its {@code info()} holds the provenance and the diagnostics' figures.
     */
    public Posterior build(double logEvidence, int[] chains, Provenance provenance, Diagnostics diagnostics) {
        Map<String, String> info = provenance.toInfo();
        for (Diagnostics.Figure f : diagnostics.figures()) {
            info.put(f.key(), f.text());
        }
        lock.writeLock().lock();
        try {
            return buildLocked(logEvidence, chains, info, diagnostics);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The posterior of everything added, with the given text entries as its {@code info()} and no diagnostics. */
    public Posterior build(double logEvidence, int[] chains, Map<String, String> info) {
        lock.writeLock().lock();
        try {
            return buildLocked(logEvidence, chains, info, Diagnostics.NONE);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private Posterior buildLocked(double logEvidence, int[] chains, Map<String, String> info, Diagnostics diagnostics) {
        columns.values().forEach(ColumnData::finishCoverage);
        result.finishCoverage();
        Map<String, ColumnData> named = new LinkedHashMap<>();
        Map<String, ColumnData> byAddress = new LinkedHashMap<>();
        // Order columns as the runs first met them; several instances of one label are keyed label[k].
        List<Map.Entry<Key, ColumnData>> entries = new ArrayList<>(columns.entrySet());
        entries.sort(Comparator.comparingLong((Map.Entry<Key, ColumnData> e) -> e.getValue().firstSeen())
                .thenComparing(e -> e.getKey().label).thenComparingInt(e -> e.getKey().instance));
        // Instances of one label stay together, in instance order, where the label first appeared.
        Map<String, TreeMap<Integer, ColumnData>> grouped = new LinkedHashMap<>();
        for (Map.Entry<Key, ColumnData> e : entries) {
            Key k = e.getKey();
            grouped.computeIfAbsent(k.section + k.label, x -> new TreeMap<>()).put(k.instance, e.getValue());
        }
        grouped.forEach((sectionLabel, instances) -> {
            boolean isNamed = sectionLabel.charAt(0) == 'n';
            String label = sectionLabel.substring(1);
            boolean single = instances.lastKey() == 0;
            instances.forEach((k, data) -> (isNamed ? named : byAddress).put(single ? label : label + "[" + k + "]", data));
        });
        List<Trace> kept = keepTraces ? Arrays.asList(traces) : null;
        return new Posterior(logWeights, named, byAddress, result.kind() == null ? null : result, logEvidence, chains, info, kept,
                diagnostics);
    }

    /**
     * A contiguous range of runs, filled by one thread: standalone and serializable, so that it
     * may be made on another machine (whole traces, when kept, stay in this process).
     */
    public static final class Chunk implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final int start;
        private final int length;
        private final double[] logWeights;
        private final Map<Key, ColumnData> columns = new HashMap<>();
        private final ColumnData result;
        private final transient Trace[] traces;
        private final boolean recordUnnamed;
        private final Set<String> givenObservations;
        private transient Map<String, Key[]> namedKeys;
        private transient Map<String, Key[]> addressKeys;
        /**
         * The entry the last run recorded at each position, and its column (null: not recorded):
         * runs of a model of fixed structure find their columns here, comparing references.
         */
        private transient String[] lastNames;
        private transient Address[] lastAddresses;
        private transient int[] lastInstances;
        private transient Variable.Role[] lastRoles;
        private transient ColumnData[] lastColumns;

        private Chunk(int start, int length, boolean recordUnnamed, boolean keepTraces, Set<String> givenObservations) {
            this.start = start;
            this.length = length;
            this.recordUnnamed = recordUnnamed;
            this.givenObservations = givenObservations;
            this.logWeights = new double[length];
            this.result = new ColumnData(length);
            this.traces = keepTraces ? new Trace[length] : null;
        }

        /** Records run {@code run} (an absolute index inside this chunk's range). */
        public void record(int run, Trace trace) {
            record(run, trace.variables(), trace.logWeight(), trace.result());
            if (traces != null) {
                traces[run - start] = trace;
            }
        }

        /**
         * Records run {@code run} from its variables, without a {@link Trace} object: for engines
         * that keep no whole traces ({@link #keepsTraces} false), which saves one per run.
         */
        public void record(int run, List<Variable> variables, double logWeight, Object runResult) {
            int i = run - start;
            logWeights[i] = logWeight;
            long seenBase = (long) run << 24;
            for (int p = 0, n = variables.size(); p < n; p++) {
                Variable v = variables.get(p);
                ColumnData c = column(p, v.name(), v.address(), v.instance(), v.role());
                if (c != null && v.value() != null) {
                    c.set(i, v.value(), seenBase + Math.min(p, (1 << 24) - 1));
                }
            }
            if (runResult != null) {
                result.set(i, runResult, seenBase);
            }
        }

        /**
         * Records run {@code run} from the entries of an execution's buffer: the hot path of
         * engines that keep no whole traces, with no object made per entry.
         */
        public void record(int run, TraceBuffer entries, double logWeight, Object runResult) {
            int i = run - start;
            logWeights[i] = logWeight;
            long seenBase = (long) run << 24;
            for (int p = 0, n = entries.size(); p < n; p++) {
                ColumnData c = column(p, entries.name(p), entries.address(p), entries.instance(p), entries.role(p));
                if (c == null) {
                    continue;
                }
                long seen = seenBase + Math.min(p, (1 << 24) - 1);
                if (entries.isReal(p)) {
                    c.setReal(i, entries.real(p), seen);
                } else if (entries.value(p) != null) {
                    c.set(i, entries.value(p), seen);
                }
            }
            if (runResult instanceof Double real) {
                // Unboxed at once: where this is compiled together with the model, its box need not be made.
                result.setReal(i, real, seenBase);
            } else if (runResult != null) {
                result.set(i, runResult, seenBase);
            }
        }

        /**
         * The column of the entry at position {@code p} of a run, or null when it is not recorded:
         * where the last run recorded the same entry at this position, a few reference comparisons,
         * small enough to be compiled into the run loop; otherwise {@link #columnLookedUp}.
         */
        private ColumnData column(int p, String name, Address address, int instance, Variable.Role role) {
            String[] names = lastNames;
            if (names != null && p < names.length && names[p] == name && lastAddresses[p] == address
                    && lastInstances[p] == instance && lastRoles[p] == role) {
                return lastColumns[p];
            }
            return columnLookedUp(p, name, address, instance, role);
        }

        /** {@link #column} where the last run recorded another entry at position {@code p}: looked up, then remembered. */
        private ColumnData columnLookedUp(int p, String name, Address address, int instance, Variable.Role role) {
            if (lastNames == null) {
                lastNames = new String[16];
                lastAddresses = new Address[16];
                lastInstances = new int[16];
                lastRoles = new Variable.Role[16];
                lastColumns = new ColumnData[16];
            }
            boolean remembered = p < lastNames.length;
            ColumnData c = lookUp(name, address, instance, role);
            if (!remembered && p < MAX_REMEMBERED) {
                int n = Math.min(MAX_REMEMBERED, 2 * p);
                lastNames = Arrays.copyOf(lastNames, n);
                lastAddresses = Arrays.copyOf(lastAddresses, n);
                lastInstances = Arrays.copyOf(lastInstances, n);
                lastRoles = Arrays.copyOf(lastRoles, n);
                lastColumns = Arrays.copyOf(lastColumns, n);
                remembered = true;
            }
            if (remembered) {
                lastNames[p] = name;
                lastAddresses[p] = address;
                lastInstances[p] = instance;
                lastRoles[p] = role;
                lastColumns[p] = c;
            }
            return c;
        }

        /** Entries per run whose columns are remembered by position. */
        private static final int MAX_REMEMBERED = 1 << 12;

        private ColumnData lookUp(String name, Address address, int instance, Variable.Role role) {
            Key key;
            if (name != null) {
                if (role == Variable.Role.OBSERVE && givenObservations.contains(name)) {
                    return null;
                }
                key = key('n', name, instance);
            } else if (recordUnnamed && role == Variable.Role.SAMPLE) {
                key = key('a', address.key(), instance);
            } else {
                return null;
            }
            ColumnData c = columns.get(key);
            if (c == null) {
                c = new ColumnData(length);
                columns.put(key, c);
            }
            return c;
        }

        /** Whether this chunk keeps whole traces: then record them with {@link #record(int, Trace)}. */
        public boolean keepsTraces() {
            return traces != null;
        }

        private Key key(char section, String label, int instance) {
            if (namedKeys == null) {
                namedKeys = new HashMap<>();
                addressKeys = new HashMap<>();
            }
            Map<String, Key[]> keyCache = section == 'n' ? namedKeys : addressKeys;
            Key[] ks = keyCache.get(label);
            if (ks == null || ks.length <= instance) {
                ks = ks == null ? new Key[Math.max(4, instance + 1)] : Arrays.copyOf(ks, Math.max(ks.length * 2, instance + 1));
                keyCache.put(label, ks);
            }
            if (ks[instance] == null) {
                ks[instance] = new Key(section, label, instance);
            }
            return ks[instance];
        }
    }

    /** A column's identity: a name or an address, and an instance. */
    private static final class Key implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        private final char section;
        private final String label;
        private final int instance;
        private final int hash;

        Key(char section, String label, int instance) {
            this.section = section;
            this.label = label;
            this.instance = instance;
            this.hash = (label.hashCode() * 31 + instance) * 31 + section;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Key)) {
                return false;
            }
            Key k = (Key) o;
            return hash == k.hash && instance == k.instance && section == k.section && label.equals(k.label);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
