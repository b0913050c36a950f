package dev.probe.runtime.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Set;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * A run that replays an earlier trace, for single-site Metropolis-Hastings: every controlled
 * choice that the earlier trace made at the same address and instance, with a compatible
 * distribution, keeps its value; one chosen site gets a new value; choices the earlier trace
 * never made are drawn from the prior ("fresh"). Choices of the earlier trace that this run did
 * not reuse are "stale". Uncontrolled choices are drawn afresh every time.
 *
 * <p>With a bridge {@link Proposal} (tempered SMC's path from a trained network's proposal q to
 * the posterior), its proposer is asked for every controlled choice, as in a run it proposed, and
 * the run keeps its correction: the sum over those choices of log p - log q, so that the
 * tempered target p(x) L(x)^b q(x)^(1 - b) can be evaluated on any trace.
 */
final class ReplayExecution extends Execution {

    /** The controlled choices of a trace, indexed by address and instance. */
    static final class Sites {
        final Trace trace;
        final List<Variable> list = new ArrayList<>();
        final HashMap<Address, int[]> positions = new HashMap<>();
        final double logJoint;
        /** The log prior of the controlled choices. */
        final double logPrior;
        /** Sum over the controlled choices of log p - log q under the bridge proposal (0 without one). */
        final double correction;

        Sites(Trace trace) {
            this(trace, 0);
        }

        Sites(Trace trace, double correction) {
            this.trace = trace;
            this.correction = correction;
            double lp = trace.logLikelihood();
            for (Variable v : trace.variables()) {
                if (v.isSample() && v.controlled()) {
                    int[] pos = positions.get(v.address());
                    if (pos == null || pos.length <= v.instance()) {
                        int[] grown = pos == null ? new int[v.instance() + 1] : Arrays.copyOf(pos, v.instance() + 1);
                        Arrays.fill(grown, pos == null ? 0 : pos.length, grown.length, -1);
                        pos = grown;
                        positions.put(v.address(), pos);
                    }
                    pos[v.instance()] = list.size();
                    list.add(v);
                    lp += v.logProb();
                }
            }
            logJoint = lp;
            logPrior = lp - trace.logLikelihood();
        }

        /** log p(x) + b log L(x) - (1 - b) (log p(x) - log q(x)) over the controlled choices. */
        double logTarget(double temperature) {
            if (temperature == 1 && correction == 0) {
                return logJoint; // as summed for the untempered kernel, to the last bit
            }
            return ReplayExecution.logTarget(logPrior, trace.logLikelihood(), correction, temperature);
        }

        Variable at(Address address, int instance) {
            int[] pos = positions.get(address);
            if (pos == null || instance >= pos.length || pos[instance] < 0) {
                return null;
            }
            return list.get(pos[instance]);
        }

        int positionOf(Address address, int instance) {
            return positions.get(address)[instance];
        }
    }

    private Sites old;
    private boolean[] reused;
    private Address site;
    private int siteInstance;
    private Object siteValue;
    private Distribution<?> sitePrior;
    /** A block move's sites and their new values (null: a single-site move), and how many of them this run met. */
    private Address[] blockAddresses;
    private int[] blockInstances;
    private Object[] blockValues;
    private int blockMet;
    private double freshLogProb;
    private double controlledLogPrior;
    private int controlledCount;
    private final Proposal bridge;
    private final Observations observations;
    private Proposer proposer;
    /** The bridge's distribution for the choice being decided (null: none, or the prior's). */
    private Distribution<?> bridged;
    private double correction;

    ReplayExecution(Observations observations, CallSites callSites, Set<String> observedNames) {
        this(observations, callSites, observedNames, Proposal.PRIOR);
    }

    ReplayExecution(Observations observations, CallSites callSites, Set<String> observedNames, Proposal bridge) {
        super(observations, true, callSites, observedNames);
        this.bridge = bridge;
        this.observations = observations;
    }

    /**
     * log p(x) + b log L(x) - (1 - b) c, where c = log p(x) - log q(x): the log of the tempered
     * target p(x) L(x)^b q(x)^(1 - b), a zero power contributing nothing even where its base is 0.
     */
    static double logTarget(double logPrior, double logLikelihood, double correction, double temperature) {
        return logPrior + logTempered(logLikelihood, correction, temperature);
    }

    /** b log L(x) - (1 - b) c: the tempered target less the prior; log L(x) itself at b = 1. */
    static double logTempered(double logLikelihood, double correction, double temperature) {
        double likelihood = temperature == 0 ? 0 : temperature == 1 ? logLikelihood : temperature * logLikelihood;
        double bridge = temperature == 1 ? 0 : (1 - temperature) * correction;
        return bridge == 0 ? likelihood : likelihood - bridge;
    }

    /** A run with every choice drawn from the prior. */
    void beginFresh(UniformRandomProvider generator) {
        begin(generator, null, null, 0, null);
    }

    /**
     * A run replaying {@code old}, with the choice at {@code site} set to {@code siteValue}, or
     * drawn from its prior when {@code siteValue} is null.
     */
    void begin(UniformRandomProvider generator, Sites previous, Address chosen, int instance, Object value) {
        reset(generator);
        this.old = previous;
        this.reused = previous == null ? null : new boolean[previous.list.size()];
        this.site = chosen;
        this.siteInstance = instance;
        this.siteValue = value;
        this.sitePrior = null;
        this.blockAddresses = null;
        this.blockMet = 0;
        freshLogProb = 0;
        controlledLogPrior = 0;
        controlledCount = 0;
        correction = 0;
        proposer = bridge == Proposal.PRIOR ? null : bridge.start(observations);
    }

    /**
     * A run replaying {@code previous} with the choices at {@code addresses} (instances
     * {@code instances}) set to {@code values} (a block move): each is used when the run meets it
     * with a distribution compatible with the old one; {@link #blockMet} says how many were.
     */
    void beginBlock(UniformRandomProvider generator, Sites previous, Address[] addresses, int[] instances, Object[] values) {
        begin(generator, previous, null, 0, null);
        this.blockAddresses = addresses;
        this.blockInstances = instances;
        this.blockValues = values;
    }

    /** The block move's sites that the run just finished met and set. */
    int blockMet() {
        return blockMet;
    }

    /** The block site at {@code address} and {@code instance}, or -1. A linear scan: blocks are small. */
    private int blockIndex(Address address, int instance) {
        for (int j = 0; j < blockAddresses.length; j++) {
            if (blockInstances[j] == instance && blockAddresses[j].equals(address)) {
                return j;
            }
        }
        return -1;
    }

    @Override
    <T> T decide(Address address, int instance, Distribution<T> prior, boolean control) {
        bridged = control && proposer != null ? proposer.propose(address, instance, prior) : null;
        if (!control || old == null) {
            return prior.sample(rng);
        }
        if (blockAddresses != null) {
            int j = blockIndex(address, instance);
            Variable before = old.at(address, instance);
            if (j >= 0 && before != null && compatible(before.distribution(), prior)) {
                reused[old.positionOf(address, instance)] = true;
                blockMet++;
                return prior.cast(blockValues[j]);
            }
        }
        boolean isSite = instance == siteInstance && address.equals(site);
        if (isSite) {
            sitePrior = prior;
        }
        if (isSite && siteValue == null) {
            return prior.sample(rng);
        }
        Variable before = old.at(address, instance);
        if (before != null && compatible(before.distribution(), prior)) {
            T value = prior.cast(isSite ? siteValue : before.value());
            if (isSite || prior.logProb(value) > Double.NEGATIVE_INFINITY) {
                reused[old.positionOf(address, instance)] = true;
                return value;
            }
        }
        return prior.sample(rng);
    }

    @Override
    void decided(Address address, int instance, Distribution<?> prior, Object value, double logProb, boolean control) {
        if (!control) {
            return;
        }
        if (proposer != null) {
            if (bridged != null) {
                correction += logProb - bridged.logProbOf(value);
            }
            proposer.chosen(address, instance, prior, value);
        }
        controlledCount++;
        controlledLogPrior += logProb;
        if (old == null) {
            return;
        }
        int[] pos = old.positions.get(address);
        boolean wasReused = pos != null && instance < pos.length && pos[instance] >= 0 && reused[pos[instance]];
        if (!wasReused) {
            freshLogProb += logProb;
        }
    }

    private static boolean compatible(Distribution<?> a, Distribution<?> b) {
        return a.kind().equals(b.kind()) && a.valueType() == b.valueType() && a.dimension() == b.dimension();
    }

    /** The log joint of the controlled choices and the observations of the run just finished. */
    double logJoint() {
        return controlledLogPrior + logLikelihood;
    }

    /** The log tempered target of the run just finished: see {@link #logTarget(double, double, double, double)}. */
    double logTarget(double temperature) {
        if (temperature == 1 && correction == 0) {
            return logJoint(); // as summed for the untempered kernel, to the last bit
        }
        return logTarget(controlledLogPrior, logLikelihood, correction, temperature);
    }

    /** The log prior of the controlled choices of the run just finished. */
    double controlledLogPrior() {
        return controlledLogPrior;
    }

    /** The bridge correction of the run just finished: log p - log q over its controlled choices (0 without a bridge). */
    double correction() {
        return correction;
    }

    /**
     * A bridge proposal treats a marked rejection loop's iterations with estimates of acceptance
     * rates that no replay can reproduce, so the tempered target is not defined for such a loop.
     */
    @Override
    public <T> T rejection(String name, java.util.function.Function<dev.probe.runtime.model.Context, T> body,
            java.util.function.Predicate<? super T> accept) {
        if (proposer != null) {
            throw new ModelException("rejection loop '" + name + "': tempered SMC with a network's proposal cannot move"
                    + " a marked rejection loop (its proposal density is only estimated); use the prior as its proposal");
        }
        return super.rejection(name, body, accept);
    }

    /** The number of controlled choices of the run just finished. */
    int controlledCount() {
        return controlledCount;
    }

    /** The log prior of the replayed trace's choices that this run did not reuse. */
    double staleLogProb() {
        double s = 0;
        for (int i = 0; i < reused.length; i++) {
            if (!reused[i]) {
                s += old.list.get(i).logProb();
            }
        }
        return s;
    }

    /** The prior of the moved site in the run just finished (null when the run never met it). */
    Distribution<?> sitePrior() {
        return sitePrior;
    }

    /** The log prior of the choices this run drew afresh (the chosen site included, when resampled). */
    double freshLogProb() {
        return freshLogProb;
    }
}
