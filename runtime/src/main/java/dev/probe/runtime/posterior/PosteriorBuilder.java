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

import dev.probe.runtime.trace.Trace;
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
    /** Per chunk start: the max and the sum of exp(w - max) of its log weights, for the evidence. */
    private final TreeMap<Integer, double[]> weightSums = new TreeMap<>();
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
        return new Chunk(start, length);
    }

    /**
     * Copies a filled chunk into place. Workers call it concurrently: only finding or widening the
     * columns is serialised; the copies into this chunk's range run side by side with others'.
     */
    public void add(Chunk chunk) {
        double max = Double.NEGATIVE_INFINITY;
        for (double w : chunk.logWeights) {
            max = Math.max(max, w);
        }
        double sum = 0;
        if (max > Double.NEGATIVE_INFINITY && max < Double.POSITIVE_INFINITY) {
            for (double w : chunk.logWeights) {
                sum += Math.exp(w - max);
            }
        }
        List<ColumnData[]> copies = new ArrayList<>(chunk.columns.size() + 1);
        lock.writeLock().lock();
        try {
            weightSums.put(chunk.start, new double[] {max, sum});
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
            if (keepTraces) {
                System.arraycopy(chunk.traces, 0, traces, chunk.start, chunk.length);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** log of the mean of exp(log weight) over the runs added: importance sampling's log evidence. */
    public double logMeanWeight() {
        lock.writeLock().lock();
        try {
            // Combined chunk by chunk in run order, so the sum does not depend on arrival order.
            double max = Double.NEGATIVE_INFINITY;
            for (double[] s : weightSums.values()) {
                max = Math.max(max, s[0]);
            }
            if (max == Double.NEGATIVE_INFINITY || max == Double.POSITIVE_INFINITY) {
                return max;
            }
            double total = 0;
            for (double[] s : weightSums.values()) {
                total += s[1] * Math.exp(s[0] - max);
            }
            return max + Math.log(total) - Math.log(size);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The posterior of everything added; {@code chains} gives MH chain lengths (null for weighted runs). */
    public Posterior build(double logEvidence, int[] chains, Map<String, String> info) {
        lock.writeLock().lock();
        try {
            return buildLocked(logEvidence, chains, info);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private Posterior buildLocked(double logEvidence, int[] chains, Map<String, String> info) {
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
        return new Posterior(logWeights, named, byAddress, result.kind() == null ? null : result, logEvidence, chains, info, kept);
    }

    /** A contiguous range of runs, filled by one thread. */
    public final class Chunk {
        private final int start;
        private final int length;
        private final double[] logWeights;
        private final Map<Key, ColumnData> columns = new HashMap<>();
        private final ColumnData result;
        private final Trace[] traces;
        private final Map<String, Key[]> namedKeys = new HashMap<>();
        private final Map<String, Key[]> addressKeys = new HashMap<>();

        private Chunk(int start, int length) {
            this.start = start;
            this.length = length;
            this.logWeights = new double[length];
            this.result = new ColumnData(length);
            this.traces = keepTraces ? new Trace[length] : null;
        }

        /** Records run {@code run} (an absolute index inside this chunk's range). */
        public void record(int run, Trace trace) {
            int i = run - start;
            logWeights[i] = trace.logWeight();
            long seenBase = (long) run << 24;
            for (int p = 0, n = trace.size(); p < n; p++) {
                Variable v = trace.get(p);
                Key key;
                if (v.name() != null) {
                    if (v.isObserved() && givenObservations.contains(v.name())) {
                        continue;
                    }
                    key = key('n', v.name(), v.instance());
                } else if (recordUnnamed && v.isSample()) {
                    key = key('a', v.address().key(), v.instance());
                } else {
                    continue;
                }
                ColumnData c = columns.get(key);
                if (c == null) {
                    c = new ColumnData(length);
                    columns.put(key, c);
                }
                if (v.value() != null) {
                    c.set(i, v.value(), seenBase + Math.min(p, (1 << 24) - 1));
                }
            }
            if (trace.result() != null) {
                result.set(i, trace.result(), seenBase);
            }
            if (traces != null) {
                traces[i] = trace;
            }
        }

        private Key key(char section, String label, int instance) {
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
    private static final class Key {
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
