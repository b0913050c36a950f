package dev.probe.runtime.inference;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import dev.probe.runtime.engine.Backend;
import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.Settings;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * The Java entry point: an inference described as a sentence, then run.
 *
 * <pre>{@code
 * Posterior p = Inference.importanceSampling(model)
 *         .observe("obs0", 8.0).observe("obs1", 9.0)
 *         .traces(10_000).seed(1).run();
 * double mean = p.marginal("mu").mean();
 * }</pre>
 *
 * The result depends only on the model, the observations, the settings and the seed: never on
 * the thread count or the machine.
 */
public final class Inference {

    /** Runs when none are asked for. */
    public static final int DEFAULT_TRACES = 10_000;
    /** Metropolis-Hastings chains when none are asked for. */
    public static final int DEFAULT_CHAINS = 4;

    /** The engine, made from this builder's options when it runs. */
    private final java.util.function.Function<Inference, Engine> engine;
    private final Model model;
    private final Map<String, Object> observations = new LinkedHashMap<>();
    private int traces = DEFAULT_TRACES;
    private Long seed;
    private int threads = Runtime.getRuntime().availableProcessors();
    private Backend backend;
    private Proposal proposal = Proposal.PRIOR;
    private int burnIn = -1;
    private int thin = 1;
    private int chains = DEFAULT_CHAINS;
    private boolean keepTraces;
    private boolean recordAddresses;
    private ProgressListener progress = ProgressListener.NONE;
    private String label;

    private Inference(java.util.function.Function<Inference, Engine> engine, Model model) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.model = Objects.requireNonNull(model, "model");
        this.label = model.name();
    }

    /** Runs from the prior; observations with no value given are simulated and reported. */
    public static Inference prior(Model model) {
        return new Inference(i -> ImportanceSampling.prior(), model);
    }

    /** Importance sampling, with the prior as the proposal unless {@link #proposal} says otherwise. */
    public static Inference importanceSampling(Model model) {
        return new Inference(i -> ImportanceSampling.weighted(i.proposal), model);
    }

    /** Lightweight single-site random-walk Metropolis-Hastings. */
    public static Inference metropolisHastings(Model model) {
        return new Inference(i -> new MetropolisHastings(new MetropolisHastings.Options(i.chains, i.burnIn, i.thin)), model);
    }

    /** Any engine, such as one a plug-in provides, built with its own options. */
    public static Inference with(Engine engine, Model model) {
        Objects.requireNonNull(engine, "engine");
        return new Inference(i -> engine, model);
    }

    /** Conditions on a value for the observation {@code name} (an array for a name that occurs several times). */
    public Inference observe(String name, Object value) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("observe: the name must not be empty");
        }
        if (value == null) {
            throw new IllegalArgumentException("observe: no value given for '" + name + "'");
        }
        observations.put(name, value);
        return this;
    }

    /** Conditions on every name-value pair of {@code values}. */
    public Inference observations(Map<String, ?> values) {
        values.forEach(this::observe);
        return this;
    }

    /** The number of runs (for Metropolis-Hastings: samples kept over all chains). */
    public Inference traces(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("traces must be positive, got " + n);
        }
        this.traces = n;
        return this;
    }

    /** The root seed; without one a fresh seed is drawn and recorded in the posterior. */
    public Inference seed(long s) {
        this.seed = s;
        return this;
    }

    /** Worker threads (default: all cores). The result does not depend on it. */
    public Inference threads(int t) {
        if (t <= 0) {
            throw new IllegalArgumentException("threads must be positive, got " + t);
        }
        this.threads = t;
        return this;
    }

    /** Where the work runs, instead of {@link #threads} threads of this process. The result does not depend on it. */
    public Inference backend(Backend b) {
        this.backend = Objects.requireNonNull(b, "backend");
        return this;
    }

    /** Importance sampling's proposal (a trained network's, for inference compilation); not for other engines. */
    public Inference proposal(Proposal p) {
        this.proposal = Objects.requireNonNull(p, "proposal");
        return this;
    }

    /** Metropolis-Hastings steps dropped at the start of each chain. */
    public Inference burnIn(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("burn-in must not be negative, got " + steps);
        }
        this.burnIn = steps;
        return this;
    }

    /** Metropolis-Hastings: keep every k-th step. */
    public Inference thin(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("thin must be positive, got " + k);
        }
        this.thin = k;
        return this;
    }

    /** Metropolis-Hastings: independent chains (default 4); not tied to the thread count. */
    public Inference chains(int c) {
        if (c <= 0) {
            throw new IllegalArgumentException("chains must be positive, got " + c);
        }
        this.chains = c;
        return this;
    }

    /** Keeps every whole trace in the posterior (memory grows with each run). */
    public Inference keepTraces(boolean keep) {
        this.keepTraces = keep;
        return this;
    }

    /** Keeps columns for unnamed samples too, by address. */
    public Inference recordAddresses(boolean record) {
        this.recordAddresses = record;
        return this;
    }

    /** Told how far the work has come. */
    public Inference progress(ProgressListener listener) {
        this.progress = Objects.requireNonNull(listener, "progress");
        return this;
    }

    /** How reports and saved posteriors name the model (default: the model's name). */
    public Inference label(String modelLabel) {
        this.label = Objects.requireNonNull(modelLabel, "label");
        return this;
    }

    /** The common settings as they stand (a seed is drawn now if none was given); the backend, or threads, run the work. */
    public Settings settings() {
        if (seed == null) {
            seed = Seeds.fresh();
        }
        return new Settings(model, Observations.of(observations), traces, seed, backend != null ? backend : Backend.threads(threads), keepTraces,
                recordAddresses, progress, label);
    }

    /** The engine with the options given. */
    public Engine engine() {
        return engine.apply(this);
    }

    /** Runs the inference. */
    public Posterior run() {
        return engine().run(settings());
    }
}
