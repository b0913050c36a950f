package dev.probe.runtime.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Set;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.MissingObservationException;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.model.RunAbandoned;
import dev.probe.runtime.trace.Trace;
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
    private final HashMap<String, Address> namedAddresses = new HashMap<>();
    private final ArrayList<Variable> variables = new ArrayList<>();

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
        }
        variables.clear();
        logPrior = 0;
        logLikelihood = 0;
        observationsMet = 0;
        observationLimit = Integer.MAX_VALUE;
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
            throw RunAbandoned.INSTANCE;
        }
    }

    /** Runs the model once; errors inside it propagate. */
    Object runModel(Model model) {
        return model.run(this);
    }

    /** The value of a controlled choice, or of an uncontrolled one ({@code control} false). */
    abstract <T> T decide(Address address, int instance, Distribution<T> prior, boolean control);

    /** Told the log prior of each choice just decided, once it is known. */
    void decided(Address address, int instance, Distribution<?> prior, Object value, double logProb, boolean control) {
    }

    /** The trace of the run just finished, with the given log weight. */
    Trace finish(Object result, double logWeight) {
        checkEveryValueUsed();
        return Trace.adopt(variables.toArray(new Variable[0]), logPrior, logLikelihood, logWeight, result);
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
        return sample(distribution, name, true);
    }

    @Override
    public final <T> T sample(Distribution<T> distribution, String name, boolean control) {
        requireDistribution(distribution, "sample");
        return sample(distribution, address(name, "sample"), name, control);
    }

    @Override
    public final <T> T sample(Distribution<T> distribution, Address address, String name, boolean control) {
        requireDistribution(distribution, "sample");
        int instance = nextInstance(address);
        T value = decide(address, instance, distribution, control);
        double lp = distribution.logProb(value);
        logPrior += lp;
        variables.add(new Variable(address, instance, name, Variable.Role.SAMPLE, distribution, value, lp, control));
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
        variables.add(new Variable(address, instance, name, Variable.Role.SAMPLE, distribution, value, lp, control));
        return value;
    }

    @Override
    public final <T> T observe(Distribution<T> distribution, String name) {
        return observeDrawn(distribution, name, null, false);
    }

    @Override
    public final <T> T observeDrawn(Distribution<T> distribution, String name, T drawn) {
        if (!selfDrawing()) {
            Context.super.observeDrawn(distribution, name, drawn);
        }
        return observeDrawn(distribution, name, drawn, true);
    }

    private <T> T observeDrawn(Distribution<T> distribution, String name, T drawn, boolean selfDrawn) {
        requireDistribution(distribution, "observe");
        Address address = address(name, "observe");
        int instance = nextInstance(address);
        observedNames.add(name);
        T value = observations.valueFor(name, instance, distribution);
        if (instance == 0 && value != null) {
            instances.get(address).given = observations.occurrencesGiven(name, distribution);
        }
        if (value == null) {
            if (conditioning) {
                throw new MissingObservationException(name);
            }
            value = selfDrawn && drawn != null ? drawn : distribution.sample(rng);
        }
        double lp = checkedDensity(distribution, value, name);
        logLikelihood += lp;
        variables.add(new Variable(address, instance, name, Variable.Role.OBSERVE, distribution, value, lp, false));
        met();
        return value;
    }

    @Override
    public final <T> T observe(Distribution<T> distribution, T value) {
        requireDistribution(distribution, "observe");
        if (value == null) {
            throw new ModelException("observe: the observed value is missing");
        }
        double lp = checkedDensity(distribution, value, null);
        logLikelihood += lp;
        variables.add(new Variable(DATA, 0, null, Variable.Role.OBSERVE, distribution, value, lp, false));
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
        java.util.List<Variable> tail = new ArrayList<>(variables.subList(mark, variables.size()));
        variables.subList(mark, variables.size()).clear();
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
        Address address = address(name, "tag");
        int instance = nextInstance(address);
        variables.add(new Variable(address, instance, name, Variable.Role.TAG, null, value, 0, false));
    }

    private Address address(String name, String what) {
        if (name == null || name.isEmpty()) {
            throw new ModelException(what + ": the name must not be empty");
        }
        Address a = namedAddresses.get(name);
        if (a == null) {
            a = Address.named(name);
            namedAddresses.put(name, a);
        }
        return a;
    }

    private int nextInstance(Address address) {
        Counter c = instances.get(address);
        if (c == null) {
            c = new Counter();
            instances.put(address, c);
        }
        if (c.run != runNumber) {
            c.run = runNumber;
            c.count = 0;
            c.given = 0;
        }
        return c.count++;
    }

    /** How many times an address occurred in run {@code run}, and how many observed values were given for it. */
    private static final class Counter {
        int run;
        int count;
        int given;
    }

    /**
     * Refuses a run that left given observation values unused: they would be dropped silently. A
     * run stopped at its observation limit (SMC) has not met the rest yet, so it is not refused.
     */
    private void checkEveryValueUsed() {
        if (observations.isEmpty() || observationsMet >= observationLimit) {
            return;
        }
        for (String name : observations.names()) {
            Address a = namedAddresses.get(name);
            Counter c = a == null ? null : instances.get(a);
            if (c != null && c.run == runNumber && c.given > c.count) {
                throw new ModelException("observation '" + name + "' was given " + c.given + " values, but this run observes it "
                        + c.count + " time" + (c.count == 1 ? "" : "s") + ": give one value per occurrence");
            }
        }
    }

    /** An observation's log density, refused when NaN: every weight and statistic would be NaN. */
    private static <T> double checkedDensity(Distribution<T> d, T value, String name) {
        double lp = d.logProb(value);
        if (Double.isNaN(lp)) {
            throw new ModelException((name == null ? "an observation" : "observation '" + name + "'") + " of "
                    + dev.probe.runtime.distribution.Values.format(value) + " under " + d.kind()
                    + " has no density (NaN): a NaN value or parameter");
        }
        return lp;
    }

    private static void requireDistribution(Distribution<?> d, String what) {
        if (d == null) {
            throw new ModelException(what + ": the distribution is missing");
        }
    }
}
