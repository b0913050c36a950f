package dev.probe.proposals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The addresses a network knows, each with the head that proposes it and its row in the address
 * embedding. Row 0 stands for "no address" (before the first choice). Training adds addresses
 * as they are met, up to a capacity fixed when the network is built; at inference the table is
 * read only, and a choice at an address not in it is drawn from its prior.
 */
public final class AddressTable {

    /**
     * One known address.
     *
     * @param key   the address's key
     * @param kind  the prior's kind when first met
     * @param head  the head that proposes it
     * @param count how many training choices were made there
     */
    public record Entry(String key, String kind, Head head, long count) {
    }

    private final int capacity;
    private final List<Entry> entries = new ArrayList<>();
    /** Each entry's {@link CallTree#frame}, made once when it joins the table. */
    private final List<String> frames = new ArrayList<>();
    private final Map<String, Integer> rows = new HashMap<>();
    /** Addresses turned away because the table was full (up to {@link #REFUSED_KEPT} kept), and their choices. */
    private final java.util.Set<String> refused = new java.util.HashSet<>();
    private long refusedChoices;
    private static final int REFUSED_KEPT = 1_000_000;

    public AddressTable(int capacity) {
        this.capacity = capacity;
    }

    /** A table holding {@code entries}, in order (from a saved network). */
    public static AddressTable of(int capacity, List<Entry> entries) {
        AddressTable t = new AddressTable(capacity);
        for (Entry e : entries) {
            t.rows.put(e.key(), t.entries.size() + 1);
            t.entries.add(e);
            t.frames.add(CallTree.frame(e.key()));
        }
        return t;
    }

    /** The embedding rows the table may use, besides row 0. */
    public int capacity() {
        return capacity;
    }

    public int size() {
        return entries.size();
    }

    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /** The row of an address proposed by {@code head}, or -1 where the network does not propose it (unknown address, other head). */
    public int row(String address, Head head) {
        Integer r = rows.get(address);
        if (r == null || entries.get(r - 1).head() != head) {
            return -1;
        }
        return r;
    }

    /** The {@link CallTree#frame} of a row's address; "" for row 0. */
    String frame(int row) {
        return row == 0 ? "" : frames.get(row - 1);
    }

    /** Addresses training met after the table was full (counted up to a million): their choices go to the prior. */
    public int refusedAddresses() {
        return refused.size();
    }

    /** Training choices at addresses turned away because the table was full. */
    public long refusedChoices() {
        return refusedChoices;
    }

    /** The row of a training choice, adding its address while there is room; -1 when full or the head differs. */
    int learn(Choice c) {
        Integer r = rows.get(c.address());
        if (r == null) {
            if (entries.size() >= capacity) {
                if (refused.size() < REFUSED_KEPT) {
                    refused.add(c.address());
                }
                refusedChoices++;
                return -1;
            }
            entries.add(new Entry(c.address(), c.kind(), c.head(), 0));
            frames.add(CallTree.frame(c.address()));
            r = entries.size();
            rows.put(c.address(), r);
        }
        Entry e = entries.get(r - 1);
        if (e.head() != c.head()) {
            return -1;
        }
        entries.set(r - 1, new Entry(e.key(), e.kind(), e.head(), e.count() + 1));
        return r;
    }
}
