package dev.probe.runtime.engine;

import dev.probe.runtime.posterior.Posterior;

/**
 * An inference algorithm. Every model source (Java, scripts, external simulators) is a
 * {@link dev.probe.runtime.model.Model}, so every engine runs on all of them unchanged. An engine
 * is built with its own typed {@link EngineOptions}; it runs the model through a {@link Runner}
 * (one per thread of work) and hands its work to the settings' {@link Backend}. Engines are found
 * by name through {@link EngineProvider}.
 */
public interface Engine {

    /** The engine's short name, as on the command line: prior, is, rmh, ic, smc. */
    String name();

    /** The engine's own options, recorded in the posterior's provenance. */
    EngineOptions options();

    /** Runs the inference described by {@code settings}; the result depends on them and the options alone. */
    Posterior run(Settings settings);
}
