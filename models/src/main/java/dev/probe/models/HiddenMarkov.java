package dev.probe.models;

import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * A hidden Markov model with three discrete states and normal emissions (the model of pyprob's
 * and Anglican's HMM examples): state[0] from the initial distribution, state[t] from the
 * transition row of state[t-1], obs[t] ~ Normal(means[state[t]], 1). The marginals of the states
 * are known exactly by forward-backward.
 */
public final class HiddenMarkov implements Model {

    static final double[] INITIAL = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    static final double[][] TRANSITIONS = {{0.1, 0.5, 0.4}, {0.2, 0.2, 0.6}, {0.15, 0.15, 0.7}};
    static final double[] MEANS = {-1, 1, 0};
    static final double STDDEV = 1;

    private final int steps;

    public HiddenMarkov(int steps) {
        this.steps = steps;
    }

    @Override
    public Object run(Context ctx) {
        Categorical initial = Categorical.of(INITIAL);
        Categorical[] rows = new Categorical[TRANSITIONS.length];
        for (int k = 0; k < rows.length; k++) {
            rows[k] = Categorical.of(TRANSITIONS[k]);
        }
        long[] states = new long[steps];
        long state = -1;
        for (int t = 0; t < steps; t++) {
            state = ctx.sample(t == 0 ? initial : rows[(int) state], "state");
            states[t] = state;
            ctx.observe(Normal.of(MEANS[(int) state], STDDEV), "obs");
        }
        return states;
    }
}
