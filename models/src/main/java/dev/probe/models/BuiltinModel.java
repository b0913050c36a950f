package dev.probe.models;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import dev.probe.runtime.distribution.Values;
import dev.probe.runtime.model.Model;

/**
 * A model written in Java and shipped with Probe, run as {@code builtin:NAME}. It may take
 * parameters (overridden with {@code --param NAME=VALUE}) and documents an example observation.
 */
public final class BuiltinModel {

    private final String name;
    private final String description;
    private final Map<String, Object> defaults;
    private final Map<String, Object> exampleObservations;
    private final Function<Parameters, Model> factory;

    BuiltinModel(String name, String description, Map<String, Object> defaults, Map<String, Object> exampleObservations,
            Function<Parameters, Model> factory) {
        this.name = name;
        this.description = description;
        this.defaults = Map.copyOf(defaults);
        this.exampleObservations = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(exampleObservations));
        this.factory = factory;
    }

    public String name() {
        return name;
    }

    /** One line saying what the model is. */
    public String description() {
        return description;
    }

    /** The parameters and their defaults. */
    public Map<String, Object> parameters() {
        return defaults;
    }

    /** Observations that make a sensible first inference. */
    public Map<String, Object> exampleObservations() {
        return exampleObservations;
    }

    /** The model with its default parameters. */
    public Model create() {
        return create(Map.of());
    }

    /**
     * The model with some parameters overridden.
     *
     * @throws IllegalArgumentException naming an unknown parameter or a bad value
     */
    public Model create(Map<String, ?> overrides) {
        for (String key : overrides.keySet()) {
            if (!defaults.containsKey(key)) {
                throw new IllegalArgumentException("builtin:" + name + " has no parameter '" + key + "'"
                        + (defaults.isEmpty() ? "; it takes none" : "; it takes " + String.join(", ", new java.util.TreeSet<>(defaults.keySet()))));
            }
        }
        Map<String, Object> all = new LinkedHashMap<>(defaults);
        all.putAll(overrides);
        Model body = factory.apply(new Parameters(name, all));
        String label = "builtin:" + name;
        return Model.named(label, body);
    }

    /** A model's parameter values, read with checks. */
    public static final class Parameters {
        private final String model;
        private final Map<String, Object> values;

        Parameters(String model, Map<String, Object> values) {
            this.model = model;
            this.values = values;
        }

        /** A positive integer parameter. */
        public int positiveInt(String key, int max) {
            long v = Values.toLong(values.get(key), "parameter " + key + " of builtin:" + model);
            if (v <= 0 || v > max) {
                throw new IllegalArgumentException("parameter " + key + " of builtin:" + model + " must be from 1 to " + max
                        + ", got " + v);
            }
            return (int) v;
        }

        /** A boolean parameter. */
        public boolean flag(String key) {
            return Values.toBoolean(values.get(key), "parameter " + key + " of builtin:" + model);
        }
    }
}
