package dev.probe.runtime.engine;

import java.util.HashMap;
import java.util.Set;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.RealDistribution;
import dev.probe.runtime.distribution.Values;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.MissingObservationException;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.model.RunAbandoned;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.TraceBuffer;
import dev.probe.runtime.trace.Variable;

/**
 * One run of a model under an engine: the {@link Context} the model calls. It counts instances
 * per address, meets observations, sums the log prior and likelihood and records the trace; the
 * engine decides each controlled choice through {@link #decide}. One execution object serves
 * many runs on one thread ({@link #reset} between them).
 */
abstract class Execution implements Context {

    /** The address of observations of fixed values written in the model. */
    static final Address DATA = Address.site("data", "observe");

    /** Call-site chains end at the first frame of an execution class: the engine's. */
    static CallSites callSites() {
        return new CallSites(Execution.class::isAssignableFrom);
    }

    private final Observations observations;
    private final boolean conditioning;
    private final CallSites callSites;
    private final Set<String> observedNames;
    /** Occurrences per address; a counter from an earlier run is reset when first met in this one. */
    private final HashMap<Address, Counter> instances = new HashMap<>();
    private int runNumber;
    /** What is known of each name met: its address, its counter, the value given for it. */
    private final HashMap<String, Named> named = new HashMap<>();
    /**
     * The name met at each named statement of the last run, by its position in the run: a model
     * of fixed structure meets the same names in the same order, so most look-ups end here,
     * comparing one reference, with no hashing.
     */
    private Named[] recent = new Named[16];
    /** Named statements met so far in this run. */
    private int statements;
    /** The names given observation values, or null until the first run's end needs them. */
    private Named[] givenNames;
    private final TraceBuffer variables = new TraceBuffer();
    /**
     * Whether runs become whole traces ({@link #finish}); when not, the entries keep no
     * distribution, which leaves a model's distribution objects free to die young (or never be made).
     */
    private boolean traces = true;

    UniformRandomProvider rng;
    double logPrior;
    double logLikelihood;
    /** Observations met so far in this run, and the number after which the run stops (suspends). */
    private int observationsMet;
    private int observationLimit = Integer.MAX_VALUE;

    /**
     * @param conditioning  true when a missing observation is an error; false when the engine
     *                      simulates it (prior sampling, training data)
     * @param observedNames where the names of the observations met are collected (shared by the
     *                      executions of one worker; not thread-safe)
     */
    Execution(Observations observations, boolean conditioning, CallSites callSites, Set<String> observedNames) {
        this.observations = observations;
        this.conditioning = conditioning;
        this.callSites = callSites;
        this.observedNames = observedNames;
    }

    /** Prepares for a new run drawing from {@code rng}. */
    void reset(UniformRandomProvider generator) {
        this.rng = generator;
        runNumber++;
        if (instances.size() > 4096) {
            // A model with ever-new addresses (names built from data) must not grow this without bound.
            instances.clear();
            named.clear();
            java.util.Arrays.fill(recent, null);
            givenNames = null;
        }
        statements = 0;
        variables.clear();
        logPrior = 0;
        logLikelihood = 0;
        observationsMet = 0;
        observationLimit = Integer.MAX_VALUE;
    }

    /** From now on runs are only {@link #record recorded} into chunks that keep no traces, never {@link #finish finished}. */
    final void recordOnly() {
        traces = false;
    }

    /** Stops the run just begun once it has met {@code limit} observations (the model's rest is not run). */
    final void stopAfter(int limit) {
        observationLimit = limit;
    }

    /** Observations met in the run just finished or stopped. */
    final int observationsMet() {
        return observationsMet;
    }

    private void met() {
        if (++observationsMet >= observationLimit) {
            stop();
        }
    }

    private static void stop() {
        throw RunAbandoned.INSTANCE;
    }

    /** Runs the model once; errors inside it propagate. */
    Object runModel(Model model) {
        return model.run(this);
    }

    /** The value of a controlled choice, or of an uncontrolled one ({@code control} false). */
    abstract <T> T decide(Address address, int instance, Distribution<T> prior, boolean control);

    /**
     * Whether the log prior density of the choice just decided is read: by a trace kept, or by the
     * engine ({@link #decided}). Where it is not, it is not computed, and the entry and the run's
     * log prior hold NaN for it.
     */
    boolean priorDensityRead() {
        return traces;
    }

    /** Told the log prior of each choice just decided, once it is known (NaN where {@link #priorDensityRead} is false). */
    void decided(Address address, int instance, Distribution<?> prior, Object value, double logProb, boolean control) {
    }

    /** The trace of the run just finished, with the given log weight. */
    Trace finish(Object result, double logWeight) {
        if (!traces) {
            throw new IllegalStateException("this execution only records runs into chunks");
        }
        checkEveryValueUsed();
        return Trace.adopt(variables.toArray(), logPrior, logLikelihood, logWeight, result);
    }

    /** Records the run just finished into {@code chunk} as run {@code run}, with no trace object unless it keeps them. */
    final void record(dev.probe.runtime.posterior.PosteriorBuilder.Chunk chunk, int run, Object result, double logWeight) {
        if (chunk.keepsTraces()) {
            chunk.record(run, finish(result, logWeight));
        } else {
            checkEveryValueUsed();
            chunk.record(run, variables, logWeight, result);
        }
    }

    @Override
    public final <T> T sample(Distribution<T> distribution) {
        requireDistribution(distribution, "sample");
        return sample(distribution, callSites.current(distribution.kind()), null, true);
    }

    @Override
    public final <T> T sample(Distribution<T> distribution, String name) {
        // The body of sample(distribution, name, true), not a call to it: one level less between
        // the model and the generator, whose calls the JIT inlines only so many levels deep.
        requireDistribution(distribution, "sample");
        Named n = named(name, "sample");
        return sample(distribution, n.address, n.counter.next(runNumber), name, true);
    }

    @Override
    public final <T> T sample(Distribution<T> distribution, String name, boolean control) {
        requireDistribution(distribution, "sample");
        Named n = named(name, "sample");
        return sample(distribution, n.address, n.counter.next(runNumber), name, control);
    }

    @Override
    public final <T> T sample(Distribution<T> distribution, Address address, String name, boolean control) {
        requireDistribution(distribution, "sample");
        return sample(distribution, address, nextInstance(address), name, control);
    }

    private <T> T sample(Distribution<T> distribution, Address address, int instance, String name, boolean control) {
        T value = decide(address, instance, distribution, control);
        // NaN where no one reads it: then the prior's density is not computed (nor, where the JIT
        // removes the model's distribution object, anything it holds for it).
        double lp = priorDensityRead() ? distribution.logProb(value) : Double.NaN;
        logPrior += lp;
        variables.add(address, instance, name, Variable.Role.SAMPLE, traces ? distribution : null, value, lp, control);
        decided(address, instance, distribution, value, lp, control);
        return value;
    }

    /** Whether this run may draw its own choices: its {@link #selfDrawSeed} is present. */
    boolean selfDrawing() {
        return false;
    }

    @Override
    public final java.util.OptionalLong selfDrawSeed() {
        // Drawn from the run's own generator when asked: a model that never asks (a Java one)
        // draws exactly what it did before.
        return selfDrawing() ? java.util.OptionalLong.of(rng.nextLong()) : java.util.OptionalLong.empty();
    }

    @Override
    public final <T> T sampleDrawn(Distribution<T> distribution, Address address, String name, boolean control, T value) {
        requireDistribution(distribution, "sample");
        if (!selfDrawing()) {
            Context.super.sampleDrawn(distribution, address, name, control, value);
        }
        int instance = nextInstance(address);
        double lp = distribution.logProb(value);
        logPrior += lp;
        variables.add(address, instance, name, Variable.Role.SAMPLE, traces ? distribution : null, value, lp, control);
        return value;
    }

    /**
     * A named observation. Its common case, one value given for a real observation already met
     * (importance sampling's every run), is kept this short so that the JIT inlines it into the
     * model's code even once it is compiled on its own: the model's likelihood then need not be
     * made at all. Every other case goes to {@link #observedInGeneral}; a name's first run only
     * {@link #report}s it, which needs no distribution.
     */
    @Override
    public final <T> T observe(Distribution<T> distribution, String name) {
        requireDistribution(distribution, "observe");
        Named n = named(name, "observe");
        int instance = n.counter.next(runNumber);
        if (!n.reported) {
            report(n);
        }
        // Taken by no run of a model whose observations are single given reals, so that the JIT
        // compiles none of it into such a model's code: the distribution, passed to no call
        // there, need not be made.
        if (instance != 0 || n.givenReal == null || !(distribution instanceof RealDistribution)) {
            return observedInGeneral(distribution, n, instance, name, null);
        }
        n.counter.given = 1;
        @SuppressWarnings("unchecked")
        T value = (T) n.givenReal;
        return recorded(distribution, n, instance, name, value);
    }

    @Override
    public final <T> T observeDrawn(Distribution<T> distribution, String name, T drawn) {
        if (!selfDrawing()) {
            Context.super.observeDrawn(distribution, name, drawn);
        }
        requireDistribution(distribution, "observe");
        Named n = named(name, "observe");
        return observedInGeneral(distribution, n, n.counter.next(runNumber), name, drawn);
    }

    // The rarer paths of observe, apart: a small observe is inlined into the model's code.

    /** An observation in any case; a value the simulator {@code drawn} itself (or null) stands where nothing is observed. */
    private <T> T observedInGeneral(Distribution<T> distribution, Named n, int instance, String name, T drawn) {
        if (!n.reported) {
            report(n);
        }
        T value = given(n, instance, distribution);
        if (value == null) {
            value = simulated(distribution, name, drawn);
        }
        return recorded(distribution, n, instance, name, value);
    }

    /** Adds observation {@code value}'s log density to the likelihood and the observation to the trace. */
    private <T> T recorded(Distribution<T> distribution, Named n, int instance, String name, T value) {
        double lp = checkedDensity(distribution, value, name);
        logLikelihood += lp;
        variables.add(n.address, instance, name, Variable.Role.OBSERVE, traces ? distribution : null, value, lp, false);
        met();
        return value;
    }

    private void report(Named n) {
        observedNames.add(n.name);
        n.reported = true;
    }

    private <T> T simulated(Distribution<T> distribution, String name, T drawn) {
        if (conditioning) {
            throw new MissingObservationException(name);
        }
        return drawn != null ? drawn : distribution.sample(rng);
    }

    @Override
    public final <T> T observe(Distribution<T> distribution, T value) {
        requireDistribution(distribution, "observe");
        if (value == null) {
            throw new ModelException("observe: the observed value is missing");
        }
        double lp = checkedDensity(distribution, value, null);
        logLikelihood += lp;
        variables.add(DATA, 0, null, Variable.Role.OBSERVE, traces ? distribution : null, value, lp, false);
        met();
        return value;
    }

    @Override
    public final void factor(double logWeight) {
        if (Double.isNaN(logWeight) || logWeight == Double.POSITIVE_INFINITY) {
            throw new ModelException("factor: the log weight must be a number below +inf, got " + logWeight);
        }
        logLikelihood += logWeight;
    }

    @Override
    public final java.util.Map<String, Object> observations() {
        return observations.asMap();
    }

    /** Trace entries so far; {@link #cut} takes those after such a mark. */
    final int mark() {
        return variables.size();
    }

    /** Removes and returns the trace entries after {@code mark}. */
    final java.util.List<Variable> cut(int mark) {
        java.util.List<Variable> tail = java.util.Arrays.asList(variables.toArray(mark));
        variables.truncate(mark);
        return tail;
    }

    /**
     * Gives back the instance numbers of entries {@link #cut} removed for good, so that what
     * follows is numbered as if they had never been (a rejection loop's rejected iterations).
     */
    final void uncount(java.util.List<Variable> entries) {
        for (Variable v : entries) {
            if (v.address() == DATA) {
                continue;
            }
            Counter c = instances.get(v.address());
            if (c != null && c.run == runNumber && c.count > 0) {
                c.count--;
            }
        }
    }

    /** Appends entries {@link #cut} removed. */
    final void append(java.util.List<Variable> entries) {
        variables.addAll(entries);
    }

    /** The error for a rejection loop that does not accept. */
    static ModelException endless(String name, long trials) {
        return new ModelException("rejection loop '" + name + "' rejected " + trials + " iterations in a row: its"
                + " acceptance condition is (nearly) never met");
    }

    /** Iterations after which a rejection loop is taken to be endless. */
    static final long MAX_TRIALS = 10_000_000;

    /** A plain loop: every iteration stays in the trace (Metropolis-Hastings runs it so). */
    @Override
    public <T> T rejection(String name, java.util.function.Function<Context, T> body,
            java.util.function.Predicate<? super T> accept) {
        for (long trials = 1;; trials++) {
            T value = body.apply(this);
            if (accept.test(value)) {
                return value;
            }
            if (trials >= MAX_TRIALS) {
                throw endless(name, trials);
            }
        }
    }

    @Override
    public final void tag(Object value, String name) {
        Named n = named(name, "tag");
        variables.add(n.address, n.counter.next(runNumber), name, Variable.Role.TAG, null, value, 0, false);
    }

    /** What is known of {@code name}: first where the last run met a name at this statement, then by hashing. */
    private Named named(String name, String what) {
        int k = statements++;
        if (k < recent.length) {
            Named n = recent[k];
            if (n != null && n.name == name) {
                return n;
            }
        }
        return remembered(k, name, what);
    }

    /** {@link #named} where the last run met another name at statement {@code k}. */
    private Named remembered(int k, String name, String what) {
        if (name == null || name.isEmpty()) {
            throw new ModelException(what + ": the name must not be empty");
        }
        Named n = known(name);
        if (k >= recent.length && k < MAX_RECENT) {
            recent = java.util.Arrays.copyOf(recent, Math.min(MAX_RECENT, 2 * k));
        }
        if (k < recent.length) {
            recent[k] = n;
        }
        return n;
    }

    /** Named statements per run whose names are remembered by position. */
    private static final int MAX_RECENT = 1 << 12;

    private Named known(String name) {
        Named n = named.get(name);
        if (n == null) {
            Address a = Address.named(name);
            Counter c = instances.get(a);
            if (c == null) {
                c = new Counter();
                instances.put(a, c);
            }
            n = new Named(name, a, c, observations.get(name));
            named.put(name, n);
        }
        return n;
    }

    private int nextInstance(Address address) {
        Counter c = instances.get(address);
        if (c == null) {
            c = new Counter();
            instances.put(address, c);
        }
        return c.next(runNumber);
    }

    /** How many times an address occurred in run {@code run}, and how many observed values were given for it. */
    private static final class Counter {
        int run;
        int count;
        int given;

        /** The instance number of the next occurrence in run {@code current}. */
        int next(int current) {
            if (run != current) {
                run = current;
                count = 0;
                given = 0;
            }
            return count++;
        }
    }

    /**
     * A name the model used: its address and counter, and the value given for it (null if none).
     * A single real value given is kept cast, so a run does not cast it again.
     */
    private static final class Named {
        final String name;
        final Address address;
        final Counter counter;
        final Object given;
        final Double givenReal;
        /** Whether the name is in {@code observedNames} already. */
        boolean reported;

        Named(String name, Address address, Counter counter, Object given) {
            this.name = name;
            this.address = address;
            this.counter = counter;
            this.given = given;
            this.givenReal = given instanceof Number && !Values.isArray(given) ? ((Number) given).doubleValue() : null;
        }
    }

    /**
     * The value given for instance {@code instance} of observation {@code n}, cast, or null; the
     * first instance records how many occurrences the value serves. A single real value under a
     * real distribution skips the general path.
     */
    private <T> T given(Named n, int instance, Distribution<T> distribution) {
        if (instance == 0 && n.givenReal != null && distribution instanceof RealDistribution) {
            n.counter.given = 1;
            @SuppressWarnings("unchecked")
            T value = (T) n.givenReal;
            return value;
        }
        return n.given == null ? null : givenInGeneral(n, instance, distribution);
    }

    private <T> T givenInGeneral(Named n, int instance, Distribution<T> distribution) {
        T value = observations.valueFor(n.name, instance, distribution);
        if (instance == 0 && value != null) {
            n.counter.given = observations.occurrencesGiven(n.name, distribution);
        }
        return value;
    }

    /**
     * Refuses a run that left given observation values unused: they would be dropped silently. A
     * run stopped at its observation limit (SMC) has not met the rest yet, so it is not refused.
     */
    private void checkEveryValueUsed() {
        if (observations.isEmpty() || observationsMet >= observationLimit) {
            return;
        }
        for (Named n : givenNames()) {
            Counter c = n.counter;
            if (c.run == runNumber && c.given > c.count) {
                throw new ModelException("observation '" + n.name + "' was given " + c.given + " values, but this run observes it "
                        + c.count + " time" + (c.count == 1 ? "" : "s") + ": give one value per occurrence");
            }
        }
    }

    /** The names given observation values, made once: apart, so that a run's check compiles small. */
    private Named[] givenNames() {
        Named[] g = givenNames;
        if (g == null) {
            g = observations.names().stream().map(this::known).toArray(Named[]::new);
            givenNames = g;
        }
        return g;
    }

    /** An observation's log density, refused when NaN: every weight and statistic would be NaN. */
    private static <T> double checkedDensity(Distribution<T> d, T value, String name) {
        double lp = d.logProb(value);
        if (Double.isNaN(lp)) {
            throw noDensity(d, value, name);
        }
        return lp;
    }

    private static ModelException noDensity(Distribution<?> d, Object value, String name) {
        return new ModelException((name == null ? "an observation" : "observation '" + name + "'") + " of "
                + Values.format(value) + " under " + d.kind() + " has no density (NaN): a NaN value or parameter");
    }

    private static void requireDistribution(Distribution<?> d, String what) {
        if (d == null) {
            throw missing(what);
        }
    }

    private static ModelException missing(String what) {
        return new ModelException(what + ": the distribution is missing");
    }
}
