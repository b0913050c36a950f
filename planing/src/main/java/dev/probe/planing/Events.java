package dev.probe.planing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.probe.proposals.ObservationLayout;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * The events of one class: for each requested name, its value in every run, flattened to numbers
 * (a vector gives several columns; a name met several times in a run gives its instances one after
 * another). Any named variable may serve: an observation, a tag or a named sample.
 */
public final class Events {

    private final Map<String, double[][]> columns;
    private final int size;

    private Events(Map<String, double[][]> columns, int size) {
        this.columns = columns;
        this.size = size;
    }

    /** Events from columns given directly: {@code name -> [event][component]}, all of one length. */
    public static Events of(Map<String, double[][]> columns) {
        int size = -1;
        Map<String, double[][]> copy = new LinkedHashMap<>();
        for (Map.Entry<String, double[][]> e : columns.entrySet()) {
            if (size >= 0 && e.getValue().length != size) {
                throw new IllegalArgumentException("column '" + e.getKey() + "' has " + e.getValue().length + " events, not " + size);
            }
            size = e.getValue().length;
            copy.put(e.getKey(), e.getValue().clone());
        }
        return new Events(copy, Math.max(size, 0));
    }

    /**
     * The values of {@code names} in each trace; {@code label} names the model in errors.
     *
     * @throws IllegalArgumentException when a name is missing from a run, or changes size between runs
     */
    public static Events of(List<Trace> traces, Collection<String> names, String label) {
        Map<String, double[][]> columns = new LinkedHashMap<>();
        for (String name : names) {
            columns.put(name, new double[traces.size()][]);
        }
        for (int run = 0; run < traces.size(); run++) {
            Map<String, List<Object>> found = new LinkedHashMap<>();
            Set<String> offered = new LinkedHashSet<>();
            for (Variable v : traces.get(run).variables()) {
                if (v.name() == null) {
                    continue;
                }
                offered.add(v.name());
                if (columns.containsKey(v.name())) {
                    found.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(v.value());
                }
            }
            for (Map.Entry<String, double[][]> e : columns.entrySet()) {
                List<Object> parts = found.get(e.getKey());
                if (parts == null) {
                    throw new IllegalArgumentException("'" + e.getKey() + "' does not occur in run " + run + " of " + label
                            + "; its named variables there: " + String.join(", ", offered));
                }
                double[] value = ObservationLayout.flatten(parts);
                double[][] column = e.getValue();
                if (run > 0 && column[0].length != value.length) {
                    throw new IllegalArgumentException("'" + e.getKey() + "' has " + column[0].length + " numbers in run 0 of "
                            + label + " and " + value.length + " in run " + run + ": a feature needs the same size in every run");
                }
                column[run] = value;
            }
        }
        return new Events(columns, traces.size());
    }

    /** Events in the table. */
    public int size() {
        return size;
    }

    /** The names held, in the order asked for. */
    public Set<String> names() {
        return columns.keySet();
    }

    /** How many numbers {@code name} has per event. */
    public int width(String name) {
        return size == 0 ? 0 : column(name)[0].length;
    }

    /** The values of {@code name}: {@code [event][component]}. */
    public double[][] column(String name) {
        double[][] c = columns.get(name);
        if (c == null) {
            throw new IllegalArgumentException("no column '" + name + "'; the table holds " + String.join(", ", columns.keySet()));
        }
        return c;
    }

    /**
     * The values of a one-number variable, one per event.
     *
     * @throws IllegalArgumentException when {@code name} has several numbers per event
     */
    public double[] scalar(String name) {
        double[][] c = column(name);
        double[] out = new double[size];
        for (int i = 0; i < size; i++) {
            if (c[i].length != 1) {
                throw new IllegalArgumentException("'" + name + "' has " + c[i].length + " numbers per event; only a single number"
                        + " can be planed (tag the component you mean, e.g. tag(v[0], name: \"v0\"))");
            }
            out[i] = c[i][0];
        }
        return out;
    }
}
