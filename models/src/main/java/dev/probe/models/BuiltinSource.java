package dev.probe.models;

import java.util.Map;

import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelSource;

/** Loads {@code builtin:NAME}. */
public final class BuiltinSource implements ModelSource {

    /** The prefix of built-in model specs. */
    public static final String PREFIX = "builtin:";

    @Override
    public boolean accepts(String spec) {
        return spec.startsWith(PREFIX);
    }

    @Override
    public Model load(String spec, Map<String, Object> parameters) {
        String name = spec.substring(PREFIX.length());
        BuiltinModel m = Builtins.find(name).orElseThrow(() -> new IllegalArgumentException(
                "there is no built-in model '" + name + "'; the built-in models are " + Builtins.names()
                        + " (probe list describes them)"));
        return m.create(parameters);
    }

    @Override
    public String describe() {
        return "builtin:NAME for a model shipped with Probe (probe list)";
    }
}
