package dev.probe.runtime.inference;

import dev.probe.runtime.posterior.Posterior;

/**
 * An inference algorithm. Every model source (Java, scripts, external simulators) is a
 * {@link dev.probe.runtime.model.Model}, so every engine runs on all of them unchanged.
 */
public interface Engine {

    /** The engine's short name, as on the command line: prior, is, rmh, ic. */
    String name();

    /** Runs the inference described by {@code settings}. */
    Posterior run(Settings settings);
}
