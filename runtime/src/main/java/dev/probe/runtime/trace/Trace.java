package dev.probe.runtime.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The record of one run: its variables in the order they occurred, the log prior of its random
 * choices, the log likelihood of its observations (factors included), its log weight under the
 * engine that made it, and the program's result. Immutable. Serializable, for a cluster backend
 * whose tasks hand back traces (SMC's particles), as long as its values and result are (a script
 * returning a function is not: such a trace stays where it was made).
 */
public final class Trace implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final Variable[] array;
    private final double logPrior;
    private final double logLikelihood;
    private final double logWeight;
    private final Object result;

    /** A trace of the given variables; the array is copied. */
    public Trace(Variable[] variables, double logPrior, double logLikelihood, double logWeight, Object result) {
        this(variables.clone(), logPrior, logLikelihood, logWeight, result, true);
    }

    /** A trace that keeps {@code owned}, which nobody else may change. */
    private Trace(Variable[] owned, double logPrior, double logLikelihood, double logWeight, Object result, boolean adopt) {
        this.array = owned;
        this.logPrior = logPrior;
        this.logLikelihood = logLikelihood;
        this.logWeight = logWeight;
        this.result = result;
    }

    /**
     * A trace that takes ownership of {@code variables}: for engines, which never touch the array
     * again. Saves a copy per run on the hot path.
     */
    public static Trace adopt(Variable[] variables, double logPrior, double logLikelihood, double logWeight, Object result) {
        return new Trace(variables, logPrior, logLikelihood, logWeight, result, true);
    }

    /** Every variable, in order. */
    public List<Variable> variables() {
        return Collections.unmodifiableList(Arrays.asList(array));
    }

    /** The number of variables. */
    public int size() {
        return array.length;
    }

    /** Variable {@code i}, in order of occurrence. */
    public Variable get(int i) {
        return array[i];
    }

    /** The random choices (controlled or not), in order. */
    public List<Variable> samples() {
        List<Variable> out = new ArrayList<>();
        for (Variable v : array) {
            if (v.isSample()) {
                out.add(v);
            }
        }
        return out;
    }

    /** The first variable with this name (instance 0), or null. */
    public Variable variable(String name) {
        for (Variable v : array) {
            if (name.equals(v.name())) {
                return v;
            }
        }
        return null;
    }

    /** The sum of the log prior probabilities of the random choices. */
    public double logPrior() {
        return logPrior;
    }

    /** The sum of the observations' log likelihoods and the factors. */
    public double logLikelihood() {
        return logLikelihood;
    }

    /** The log joint density of the run: log prior plus log likelihood. */
    public double logJoint() {
        return logPrior + logLikelihood;
    }

    /** The run's log importance weight (0 for an unweighted sample). */
    public double logWeight() {
        return logWeight;
    }

    /** The program's result, or null. */
    public Object result() {
        return result;
    }

    @Override
    public String toString() {
        return "Trace" + Arrays.toString(array) + " logWeight=" + logWeight + " result=" + result;
    }
}
