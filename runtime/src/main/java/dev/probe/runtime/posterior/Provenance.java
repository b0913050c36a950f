package dev.probe.runtime.posterior;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a posterior came from: the model (as reports name it, and its identity), the engine and
 * its options, the seed, the number of runs, the observations conditioned on and the Probe
 * version that made it. Posteriors may be combined only when they agree on all but the seed and
 * the size ({@link #requireCompatible}). Immutable.
 *
 * @param model         how reports name the model
 * @param modelIdentity the model's identity ({@link dev.probe.runtime.model.Model#identity()})
 * @param engine        the engine's name
 * @param options       the engine's options, as {@link dev.probe.runtime.engine.EngineOptions#describe} gives them
 * @param seed          the root seed
 * @param traces        the number of runs or samples
 * @param observations  each observation's name and its value as text
 * @param probeVersion  the version of Probe that made the posterior
 */
public record Provenance(String model, String modelIdentity, String engine, String options, long seed, int traces,
        Map<String, String> observations, String probeVersion) implements Serializable {

    /** This Probe's version, as the posterior files it writes record it. */
    public static final String PROBE_VERSION = "0.1.0";

    public Provenance {
        observations = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(observations));
    }

    /** The provenance of a posterior made now, by this Probe. */
    public static Provenance of(String model, String modelIdentity, String engine, String options, long seed, int traces,
            Map<String, Object> observations) {
        Map<String, String> text = new TreeMap<>();
        observations.forEach((name, value) -> text.put(name, valueText(value)));
        return new Provenance(model, modelIdentity, engine, options, seed, traces, text, PROBE_VERSION);
    }

    /** An observation's value as text: arrays element by element, so equal values read alike. */
    static String valueText(Object value) {
        if (value instanceof double[]) {
            return Arrays.toString((double[]) value);
        }
        if (value instanceof long[]) {
            return Arrays.toString((long[]) value);
        }
        if (value instanceof int[]) {
            return Arrays.toString((int[]) value);
        }
        if (value instanceof boolean[]) {
            return Arrays.toString((boolean[]) value);
        }
        if (value instanceof Object[]) {
            return Arrays.deepToString((Object[]) value);
        }
        return String.valueOf(value);
    }

    /**
     * The provenance a saved posterior's text entries record; fields a file of an earlier Probe
     * lacks are empty.
     */
    public static Provenance fromInfo(Map<String, String> info) {
        long seed = parseLong(info.get("seed"));
        int traces = (int) parseLong(info.get("traces"));
        Map<String, String> observations = new TreeMap<>();
        info.forEach((k, v) -> {
            if (k.startsWith("observation.")) {
                observations.put(k.substring("observation.".length()), v);
            }
        });
        return new Provenance(info.getOrDefault("model", ""), info.getOrDefault("model_identity", ""),
                info.getOrDefault("engine", ""), info.getOrDefault("options", ""), seed, traces, observations,
                info.getOrDefault("probe_version", ""));
    }

    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The text entries a posterior's {@code info()} shows and its file records. */
    public Map<String, String> toInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("model", model);
        info.put("engine", engine);
        info.put("seed", Long.toString(seed));
        info.put("traces", Integer.toString(traces));
        info.put("observations", observations.keySet().toString());
        info.put("model_identity", modelIdentity);
        if (!options.isEmpty()) {
            info.put("options", options);
        }
        observations.forEach((name, value) -> info.put("observation." + name, value));
        info.put("probe_version", probeVersion);
        return info;
    }

    /**
     * Throws when a posterior of {@code other}'s provenance may not be pooled with one of this:
     * another model, engine, engine options, observations or Probe version.
     */
    public void requireCompatible(Provenance other) {
        same("model", modelIdentity, other.modelIdentity);
        same("engine", engine, other.engine);
        same("engine options", options, other.options);
        same("observations", observations.toString(), other.observations.toString());
        same("Probe version", probeVersion, other.probeVersion);
    }

    private static void same(String what, String a, String b) {
        if (!a.equals(b)) {
            throw new IllegalArgumentException("combine: the posteriors differ in their " + what + " (" + shorten(a) + " and "
                    + shorten(b) + "); only posteriors of one inference, with different seeds, may be combined");
        }
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s.isEmpty() ? "none recorded" : s;
    }
}
