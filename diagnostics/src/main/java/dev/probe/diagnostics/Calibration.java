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
 * @param names the parameters tested, as the posterior names them: each named random choice made
 *     the same number of times k in every prior run, itself when k = 1, and each of its instances
 *     name[0] .. name[k-1] (ranked apart) when k &gt; 1; where its value is an array of one length d
 *     in every run, each element of each instance: name[0] .. name[d-1] when k = 1, name[i][j] when
 *     k &gt; 1
 * @param ranks ranks[variable][run], each in 0..draws
 * @param draws L, the posterior draws each truth is ranked among
 * @param bins the bins of the uniformity test
 * @param alpha the family-wise level of the verdict (Bonferroni over the parameters)
 * @param skipped a note for each named random choice not ranked and why: made a varying number of
 *     times across the prior runs (its i-th instance is not one parameter), an array of varying
 *     length, or not a number
 */
public record Calibration(List<String> names, int[][] ranks, int draws, int bins, double alpha, List<String> skipped) {

    /** The default level: 1% across all parameters. */
    public static final double ALPHA = 0.01;

    public Calibration {
        names = List.copyOf(names);
        skipped = List.copyOf(skipped);
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
        List<String> skipped = new ArrayList<>();
        List<Parameter> parameters = parameters(truths, skipped);
        if (parameters.isEmpty()) {
            throw new IllegalArgumentException("the model has no named scalar random choice made the same number of times in every"
                    + " run: nothing to calibrate" + (skipped.isEmpty() ? "" : " (" + String.join("; ", skipped) + ")"));
        }
        List<String> names = new ArrayList<>();
        parameters.forEach(q -> names.add(q.column()));
        List<int[]> results = backend.map(runs, i -> {
            // Both seeds of run i come from a SplitMix-seeded stream: xoroshiro128++ seeded directly
            // with (seed, constant + i) gave nearly the same first draws in every run, so ties of a
            // discrete parameter were broken alike everywhere and its ranks piled into one bin.
            UniformRandomProvider seeds = Seeds.generator(seed, i);
            long runSeed = seeds.nextLong();
            return ranksOf(truths.get(i), parameters, engine.get(), draws, runSeed, seeds.nextLong());
        });
        int[][] ranks = new int[names.size()][runs];
        for (int i = 0; i < runs; i++) {
            int[] r = results.get(i);
            for (int v = 0; v < names.size(); v++) {
                ranks[v][i] = r[v];
            }
        }
        return new Calibration(names, ranks, draws, bins, ALPHA, skipped);
    }

    private static int[] ranksOf(Trace truth, List<Parameter> parameters, Inference inference, int draws, long seed, long rankSeed) {
        Posterior p = inference.observations(observations(truth)).seed(seed).threads(1).run();
        UniformRandomProvider rng = Seeds.generator(rankSeed, 0);
        // L equally weighted draws: weighted runs resampled systematically, Markov chains thinned evenly.
        Posterior equal = p.isWeighted() ? p.resample(draws, rng.nextLong()) : p;
        int[] out = new int[parameters.size()];
        for (int v = 0; v < parameters.size(); v++) {
            Parameter q = parameters.get(v);
            double[] column = q.column(equal);
            double[] picked = new double[draws];
            for (int j = 0; j < draws; j++) {
                picked[j] = column[(int) ((long) j * column.length / draws)];
            }
            out[v] = Sbc.rank(q.truth(truth), picked, rng);
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

    /**
     * One parameter: instance {@code instance} of the named random choice {@code name} (its column
     * in a posterior {@code key}: the name itself when made once a run, name[i] otherwise), or
     * element {@code element} of that instance's array value (-1 for a number), known as
     * {@code column}: the key for a number, key[j] for element j of an array.
     */
    private record Parameter(String name, int instance, String key, int element, String column) {

        /** Instance {@code instance} of {@code name}, made {@code made} times a run: a number (element -1) or an array's element. */
        static Parameter of(String name, int made, int instance, int element) {
            String key = made == 1 ? name : name + "[" + instance + "]";
            return new Parameter(name, instance, key, element, element < 0 ? key : key + "[" + element + "]");
        }

        /** Its value in a prior run. */
        double truth(Trace t) {
            for (Variable v : t.variables()) {
                if (v.isSample() && name.equals(v.name()) && v.instance() == instance) {
                    return element < 0 ? Draws.number(v.value()) : elementOf(v.value(), element);
                }
            }
            throw new IllegalStateException("a prior run has no instance " + instance + " of " + name);
        }

        /** Its values in the posterior's draws. */
        double[] column(Posterior p) {
            if (element < 0) {
                return Draws.column(p, key);
            }
            double[] out = new double[p.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = elementOf(p.value(key, i), element);
            }
            return out;
        }
    }

    /** Element j of an array value (a Java array or a list) as a number; NaN when there is none. */
    private static double elementOf(Object value, int j) {
        if (value instanceof List<?> list) {
            return j < list.size() ? Draws.number(list.get(j)) : Double.NaN;
        }
        return value != null && value.getClass().isArray() && j < java.lang.reflect.Array.getLength(value)
                ? Draws.number(java.lang.reflect.Array.get(value, j)) : Double.NaN;
    }

    /** The length of an array value whose elements are numbers (a Java array or a list), -1 for anything else. */
    private static int arrayLength(Object value) {
        int n;
        if (value instanceof List<?> list) {
            n = list.size();
        } else if (value != null && value.getClass().isArray()) {
            n = java.lang.reflect.Array.getLength(value);
        } else {
            return -1;
        }
        for (int j = 0; j < n; j++) {
            if (Double.isNaN(elementOf(value, j))) {
                return -1;
            }
        }
        return n;
    }

    /**
     * The named random choices made the same number of times k in every run: with a number as
     * value, each of their k instances a parameter; with an array of numbers of one length d, each
     * of the d elements of each of the k instances. A note in {@code skipped} for every other named
     * random choice.
     */
    private static List<Parameter> parameters(List<Trace> traces, List<String> skipped) {
        // Per name: the fewest and most times made in a run, and whether every value was a number.
        Map<String, int[]> made = new LinkedHashMap<>();
        Set<String> notNumbers = new LinkedHashSet<>();
        // Per name whose values are arrays of numbers: their fewest and most elements.
        Map<String, int[]> lengths = new LinkedHashMap<>();
        Set<String> scalars = new LinkedHashSet<>();
        for (int r = 0; r < traces.size(); r++) {
            final int run = r;
            Map<String, Integer> count = new LinkedHashMap<>();
            for (Variable v : traces.get(r).variables()) {
                if (v.isSample() && v.name() != null) {
                    count.merge(v.name(), 1, Integer::sum);
                    if (v.value() instanceof Number || v.value() instanceof Boolean) {
                        scalars.add(v.name());
                    } else {
                        int n = arrayLength(v.value());
                        if (n < 0) {
                            notNumbers.add(v.name());
                        } else {
                            int[] range = lengths.computeIfAbsent(v.name(), k -> new int[] {n, n});
                            range[0] = Math.min(range[0], n);
                            range[1] = Math.max(range[1], n);
                        }
                    }
                }
            }
            for (String name : count.keySet()) {
                // A name first met after run 0 was made 0 times in the runs before.
                made.computeIfAbsent(name, k -> new int[] {run == 0 ? Integer.MAX_VALUE : 0, 0});
            }
            made.forEach((name, range) -> {
                int c = count.getOrDefault(name, 0);
                range[0] = Math.min(range[0], c);
                range[1] = Math.max(range[1], c);
            });
        }
        List<Parameter> out = new ArrayList<>();
        made.forEach((name, range) -> {
            int[] elements = lengths.get(name);
            if (notNumbers.contains(name) || elements != null && scalars.contains(name)) {
                skipped.add(name + ": not a number (or an array of numbers) in every run; not ranked");
            } else if (range[0] != range[1]) {
                skipped.add(String.format(java.util.Locale.ROOT, "%s: made %d to %d times per run; a varying number of"
                        + " instances is not a fixed set of parameters, so it is not ranked", name, range[0], range[1]));
            } else if (elements != null && elements[0] != elements[1]) {
                skipped.add(String.format(java.util.Locale.ROOT, "%s: an array of %d to %d elements; a varying length is not a"
                        + " fixed set of parameters, so it is not ranked", name, elements[0], elements[1]));
            } else {
                // Instance by instance, and within an instance element by element: x, x[i], x[j] or x[i][j].
                for (int i = 0; i < range[0]; i++) {
                    if (elements == null) {
                        out.add(Parameter.of(name, range[0], i, -1));
                    } else {
                        for (int j = 0; j < elements[0]; j++) {
                            out.add(Parameter.of(name, range[0], i, j));
                        }
                    }
                }
            }
        });
        return out;
    }
}
