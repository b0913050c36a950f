package dev.probe.runtime.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The record of one run: its variables in the order they occurred, the log prior of its random
 * choices, the log likelihood of its observations (factors included), its log weight under the
 * engine that made it, and the program's result. Immutable.
 */
public final class Trace {

    private final List<Variable> variables;
    private final double logPrior;
    private final double logLikelihood;
    private final double logWeight;
    private final Object result;

    /** A trace of the given variables; the array is copied. */
    public Trace(Variable[] variables, double logPrior, double logLikelihood, double logWeight, Object result) {
        this.variables = Collections.unmodifiableList(Arrays.asList(variables.clone()));
        this.logPrior = logPrior;
        this.logLikelihood = logLikelihood;
        this.logWeight = logWeight;
        this.result = result;
    }

    /** Every variable, in order. */
    public List<Variable> variables() {
        return variables;
    }

    /** The random choices (controlled or not), in order. */
    public List<Variable> samples() {
        List<Variable> out = new ArrayList<>();
        for (Variable v : variables) {
            if (v.isSample()) {
                out.add(v);
            }
        }
        return out;
    }

    /** The first variable with this name (instance 0), or null. */
    public Variable variable(String name) {
        for (Variable v : variables) {
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
        return "Trace" + variables + " logWeight=" + logWeight + " result=" + result;
    }
}
