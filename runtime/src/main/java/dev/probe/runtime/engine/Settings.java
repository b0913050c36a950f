package dev.probe.runtime.engine;

import java.util.Objects;

import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.ProgressListener;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Provenance;

/**
 * What every inference is given, whatever its engine: the model, the observations, the size of
 * the result, the seed and where the work runs. An engine's own choices (chains, particles, a
 * proposal) are its {@link EngineOptions}. Immutable.
 *
 * @param model           the program
 * @param observations    the values given for named observations
 * @param traces          the size of the posterior: runs, kept samples or particles
 * @param seed            the root seed; the result depends on it alone
 * @param backend         where the work runs (never changes the result)
 * @param keepTraces      keep every whole trace in the posterior
 * @param recordAddresses keep columns for unnamed samples, by address
 * @param progress        told how far the work has come
 * @param modelLabel      how reports name the model (a file name, builtin:NAME)
 */
public record Settings(Model model, Observations observations, int traces, long seed, Backend backend, boolean keepTraces,
        boolean recordAddresses, ProgressListener progress, String modelLabel) {

    public Settings {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(observations, "observations");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(modelLabel, "modelLabel");
        if (traces <= 0) {
            throw new IllegalArgumentException("traces must be positive, got " + traces);
        }
    }

    /** The provenance of a posterior that {@code engine} makes under these settings. */
    public Provenance provenance(Engine engine) {
        return Provenance.of(modelLabel, model.identity(), engine.name(), engine.options().describe(), seed, traces,
                observations.asMap());
    }
}
