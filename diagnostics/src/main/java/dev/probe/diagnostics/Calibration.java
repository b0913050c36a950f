package dev.probe.diagnostics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.engine.Backend;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * Simulation-based calibration (Talts et al. 2018) of an engine on a model: parameters and
 * observations drawn from the prior, the engine run on each set of observations, the rank of
 * each true parameter among L draws of its posterior, and a chi-square test of uniformity per
 * parameter. Runs are tasks of a {@link Backend} (threads here, or a cluster); each has its own
 * seed derived from the root seed and its index, so the result depends on the seed alone.
 *
 * @param names the parameters tested: named scalar random choices made once in every prior run
 * @param ranks ranks[variable][run], each in 0..draws
 * @param draws L, the posterior draws each truth is ranked among
 * @param bins the bins of the uniformity test
 * @param alpha the family-wise level of the verdict (Bonferroni over the parameters)
 */
public record Calibration(List<String> names, int[][] ranks, int draws, int bins, double alpha) {

    /** The default level: 1% across all parameters. */
    public static final double ALPHA = 0.01;

    public Calibration {
        names = List.copyOf(names);
    }

    /** The uniformity test of each parameter's ranks. */
    public List<Sbc.Uniformity> tests() {
        List<Sbc.Uniformity> out = new ArrayList<>();
        for (int[] r : ranks) {
            out.add(Sbc.uniformity(r, draws, bins));
        }
        return out;
    }

    /** Whether every parameter's p-value is at least alpha / (number of parameters). */
    public boolean passes() {
        for (Sbc.Uniformity u : tests()) {
            if (u.pValue() < alpha / names.size()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Calibrates: {@code runs} prior runs of {@code prior} (prior sampling, observations simulated),
     * then for each run {@code engine.get()} (a fresh inference of the model, its engine settings
     * made, observations, seed and threads not yet) conditioned on that run's observations.
     *
     * @param draws L: ranks are in 0..L; L + 1 must be a multiple of {@code bins}
     * @param threads runs inferred at once (each inference itself on one thread)
     */
    public static Calibration run(Inference prior, Supplier<Inference> engine, int runs, int draws, int bins, long seed,
            int threads) {
        return run(prior, engine, runs, draws, bins, seed, threads, Backend.threads(Math.max(1, threads)));
    }

    /**
     * Calibrates with the inferences as tasks of {@code backend} (one task per simulated data set),
     * so that they run on this process's threads or on a cluster alike. The prior runs are made
     * here, on {@code threads} threads (a backend elsewhere makes them again where it replays the
     * command: they depend on the seed alone). The result depends on the seed alone.
     */
    public static Calibration run(Inference prior, Supplier<Inference> engine, int runs, int draws, int bins, long seed,
            int threads, Backend backend) {
        if ((draws + 1) % bins != 0) {
            throw new IllegalArgumentException("the " + (draws + 1) + " possible ranks do not fall into " + bins + " equal bins");
        }
        List<Trace> truths = prior.traces(runs).seed(seed).threads(Math.max(1, threads)).keepTraces(true).run().traces();
        List<String> names = parameters(truths);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("the model has no named scalar random choice made once in every run: nothing to calibrate");
        }
        List<int[]> results = backend.map(runs, i -> {
            // Both seeds of run i come from a SplitMix-seeded stream: xoroshiro128++ seeded directly
            // with (seed, constant + i) gave nearly the same first draws in every run, so ties of a
            // discrete parameter were broken alike everywhere and its ranks piled into one bin.
            UniformRandomProvider seeds = Seeds.generator(seed, i);
            long runSeed = seeds.nextLong();
            return ranksOf(truths.get(i), names, engine.get(), draws, runSeed, seeds.nextLong());
        });
        int[][] ranks = new int[names.size()][runs];
        for (int i = 0; i < runs; i++) {
            int[] r = results.get(i);
            for (int v = 0; v < names.size(); v++) {
                ranks[v][i] = r[v];
            }
        }
        return new Calibration(names, ranks, draws, bins, ALPHA);
    }

    private static int[] ranksOf(Trace truth, List<String> names, Inference inference, int draws, long seed, long rankSeed) {
        Posterior p = inference.observations(observations(truth)).seed(seed).threads(1).run();
        UniformRandomProvider rng = Seeds.generator(rankSeed, 0);
        // L equally weighted draws: weighted runs resampled systematically, Markov chains thinned evenly.
        Posterior equal = p.isWeighted() ? p.resample(draws, rng.nextLong()) : p;
        int[] out = new int[names.size()];
        for (int v = 0; v < names.size(); v++) {
            double[] column = Draws.column(equal, names.get(v));
            double[] picked = new double[draws];
            for (int j = 0; j < draws; j++) {
                picked[j] = column[(int) ((long) j * column.length / draws)];
            }
            out[v] = Sbc.rank(Draws.number(truth.variable(names.get(v)).value()), picked, rng);
        }
        return out;
    }

    /** A run's observations as the engines take them: a name seen once its value, seen k times the list of its values. */
    private static Map<String, Object> observations(Trace t) {
        Map<String, List<Object>> seen = new LinkedHashMap<>();
        for (Variable v : t.variables()) {
            if (v.isObserved() && v.name() != null) {
                seen.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(v.value());
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        seen.forEach((k, values) -> out.put(k, values.size() == 1 ? values.get(0) : values));
        return out;
    }

    /** Named scalar random choices made exactly once in every run. */
    private static List<String> parameters(List<Trace> traces) {
        Set<String> names = null;
        for (Trace t : traces) {
            Map<String, Integer> count = new LinkedHashMap<>();
            for (Variable v : t.variables()) {
                if (v.isSample() && v.name() != null && (v.value() instanceof Number || v.value() instanceof Boolean)) {
                    count.merge(v.name(), 1, Integer::sum);
                }
            }
            Set<String> once = new LinkedHashSet<>();
            count.forEach((k, c) -> {
                if (c == 1) {
                    once.add(k);
                }
            });
            if (names == null) {
                names = once;
            } else {
                names.retainAll(once);
            }
        }
        return names == null ? List.of() : new ArrayList<>(names);
    }
}
