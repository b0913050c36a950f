package dev.probe.runtime.engine;

import java.io.Serializable;

/**
 * An engine's own options, typically a record (chains and burn-in for Metropolis-Hastings,
 * particles for SMC). Serializable, so that a description of the work can travel to another
 * machine; {@link #describe} is what the posterior's provenance records and compares.
 */
public interface EngineOptions extends Serializable {

    /** No options. */
    EngineOptions NONE = new EngineOptions() {
        private static final long serialVersionUID = 1L;

        @Override
        public String describe() {
            return "";
        }
    };

    /**
     * The options as text, stable across runs and versions: two posteriors whose options describe
     * alike may be combined. A record's {@code toString()} serves.
     */
    default String describe() {
        return toString();
    }
}
