package dev.probe.runtime.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Set;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * A run that replays an earlier trace, for single-site Metropolis-Hastings: every controlled
 * choice that the earlier trace made at the same address and instance, with a compatible
 * distribution, keeps its value; one chosen site gets a new value; choices the earlier trace
 * never made are drawn from the prior ("fresh"). Choices of the earlier trace that this run did
 * not reuse are "stale". Uncontrolled choices are drawn afresh every time.
 */
final class ReplayExecution extends Execution {

    /** The controlled choices of a trace, indexed by address and instance. */
    static final class Sites {
        final Trace trace;
        final List<Variable> list = new ArrayList<>();
        final HashMap<Address, int[]> positions = new HashMap<>();
        final double logJoint;

        Sites(Trace trace) {
            this.trace = trace;
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
    private double freshLogProb;
    private double controlledLogPrior;
    private int controlledCount;

    ReplayExecution(Observations observations, CallSites callSites, Set<String> observedNames) {
        super(observations, true, callSites, observedNames);
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
        freshLogProb = 0;
        controlledLogPrior = 0;
        controlledCount = 0;
    }

    @Override
    <T> T decide(Address address, int instance, Distribution<T> prior, boolean control) {
        if (!control || old == null) {
            return prior.sample(rng);
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
