package dev.probe.runtime.model;

import java.util.Map;

/**
 * A kind of model that front ends can load by a spec string: {@code builtin:NAME} for the Java
 * models shipped with Probe, a {@code .ppl} path for scripts, and so on. Implementations are found
 * with {@link java.util.ServiceLoader}, so a module adds a source without the front end knowing it.
 */
public interface ModelSource {

    /** Whether this source reads models named like {@code spec}. */
    boolean accepts(String spec);

    /**
     * The model named by {@code spec}, with parameters overridden.
     *
     * @throws IllegalArgumentException when the spec names no model or a parameter is wrong; the
     *         message names the problem and the fix
     * @throws ModelException when the model itself is in error (a script that does not check)
     */
    Model load(String spec, Map<String, Object> parameters);

    /** A line for help texts: what specs this source reads. */
    String describe();
}
