package dev.probe.runtime.inference;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Values;
import dev.probe.runtime.model.ModelException;

/**
 * The values given for named observations. A name that occurs several times in a run takes an
 * array whose k-th element goes to instance k; for an array-valued distribution that means an
 * array of arrays. Immutable.
 */
public final class Observations {

    private static final Observations NONE = new Observations(Map.of());

    private final Map<String, Object> values;
    /** The names, unordered and immutable: {@link Set#copyOf} returns it as it is, with no copy per use. */
    private final Set<String> nameSet;

    private Observations(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.nameSet = Set.copyOf(values.keySet());
    }

    /** No observations. */
    public static Observations none() {
        return NONE;
    }

    /** Observations from a map of name to value (numbers, booleans, arrays or lists). */
    public static Observations of(Map<String, ?> values) {
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty()) {
                throw new IllegalArgumentException("an observation needs a name");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("observation '" + e.getKey() + "' has no value");
            }
        }
        return new Observations(new LinkedHashMap<>(values));
    }

    /** The names given, in the order given. */
    public Set<String> names() {
        return values.keySet();
    }

    /** The names given, in no order, as an immutable set. */
    public Set<String> nameSet() {
        return nameSet;
    }

    /** The value given for a name, as given, or null. */
    public Object get(String name) {
        return values.get(name);
    }

    /** Whether nothing is given. */
    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** The same observations, as a map. */
    public Map<String, Object> asMap() {
        return values;
    }

    /** Whether {@code given} holds one value per occurrence (an array of values of {@code distribution}). */
    private static boolean perInstance(Object given, Distribution<?> distribution) {
        return Values.isArray(given) && (!distribution.valueType().isArray()
                || (Values.length(given) > 0 && Values.isArray(Values.element(given, 0))));
    }

    /** How many occurrences the value given for {@code name} serves: its length for one value per occurrence, else 1; 0 if none. */
    public int occurrencesGiven(String name, Distribution<?> distribution) {
        Object given = values.get(name);
        return given == null ? 0 : perInstance(given, distribution) ? Values.length(given) : 1;
    }

    /**
     * The value for instance {@code instance} of observation {@code name} under {@code distribution},
     * cast to its value type; null when no value is given for the name.
     *
     * @throws ModelException when the value does not fit the distribution or the instance has none
     */
    public <T> T valueFor(String name, int instance, Distribution<T> distribution) {
        Object given = values.get(name);
        if (given == null) {
            return null;
        }
        Object v = given;
        boolean perInstance = perInstance(given, distribution);
        if (perInstance) {
            int n = Values.length(given);
            if (instance >= n) {
                throw new ModelException("observation '" + name + "' occurs " + (instance + 1)
                        + " or more times in this run, but " + n + " value" + (n == 1 ? " was" : "s were")
                        + " given: give one value per occurrence");
            }
            v = Values.element(given, instance);
        } else if (instance > 0) {
            throw new ModelException("observation '" + name + "' occurs more than once in this run, but one value was given:"
                    + " give an array with one value per occurrence");
        }
        try {
            return distribution.cast(v);
        } catch (IllegalArgumentException e) {
            throw new ModelException("observation '" + name + "'" + (perInstance ? "[" + instance + "]" : "")
                    + ": " + e.getMessage());
        }
    }
}
