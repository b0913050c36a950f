package dev.probe.compiler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.trace.Trace;

/** Where training runs come from: a model simulated on the fly, or a trace dataset on disk. */
public interface RunSource {

    /** The fixed validation runs; asked for once, before any training run. */
    List<SimulatedRun> validation(int n);

    /** The next {@code n} training runs (fewer only if the source has no more). */
    List<SimulatedRun> next(int n);

    /**
     * The next {@code n} training runs as {@link #next(int)} gives them, of which only those whose
     * observations (flattened, by name) {@code keep} accepts come back, in order. A source that
     * simulates can test a run's observations before it converts the run's choices.
     */
    default Kept next(int n, Predicate<Map<String, double[]>> keep) {
        List<SimulatedRun> runs = next(n);
        List<SimulatedRun> kept = new ArrayList<>();
        for (SimulatedRun r : runs) {
            if (keep.test(r.observations())) {
                kept.add(r);
            }
        }
        return new Kept(kept, runs.size());
    }

    /** The runs {@link #next(int, Predicate)} kept, and how many it went through to find them. */
    record Kept(List<SimulatedRun> runs, int seen) {
    }

    /** The model's identity ({@link Model#identity()}). */
    String identity();

    /** How reports name the model. */
    String label();

    /** What the source is, for the training record: "online" or the dataset's path. */
    String describe();

    /** The grid shape the model gives for a named observation, or null ({@link Model#observationShape}). */
    default int[] observationShape(String name) {
        return null;
    }

    /** {@code n} runs of {@code model}'s prior under seed {@code seed}, observations included, on {@code threads} threads. */
    static List<SimulatedRun> simulate(Model model, String label, long seed, int n, int threads, int maxCategories) {
        return simulate(model, label, seed, n, threads, maxCategories, y -> true).runs();
    }

    /** {@link #simulate}, converting only the runs whose observations {@code keep} accepts. */
    static Kept simulate(Model model, String label, long seed, int n, int threads, int maxCategories,
            Predicate<Map<String, double[]>> keep) {
        List<Trace> traces = Inference.prior(model).keepTraces(true).traces(n).seed(seed).threads(threads).label(label)
                .run().traces();
        List<SimulatedRun> kept = new ArrayList<>();
        for (Trace t : traces) {
            Map<String, double[]> observations = SimulatedRun.observations(t);
            if (keep.test(observations)) {
                kept.add(SimulatedRun.of(t, observations, maxCategories));
            }
        }
        return new Kept(kept, traces.size());
    }

    /** Runs simulated from a model's prior, observations included, on several threads. */
    static RunSource online(Model model, String label, long seed, int threads, int maxCategories) {
        return new RunSource() {
            private long block;

            @Override
            public List<SimulatedRun> validation(int n) {
                return simulate(n, Streams.seed(seed, -1));
            }

            @Override
            public List<SimulatedRun> next(int n) {
                return simulate(n, Streams.seed(seed, block++));
            }

            @Override
            public Kept next(int n, Predicate<Map<String, double[]>> keep) {
                return RunSource.simulate(model, label, Streams.seed(seed, block++), n, threads, maxCategories, keep);
            }

            private List<SimulatedRun> simulate(int n, long s) {
                return RunSource.simulate(model, label, s, n, threads, maxCategories);
            }

            @Override
            public String identity() {
                return model.identity();
            }

            @Override
            public String label() {
                return label;
            }

            @Override
            public String describe() {
                return "online";
            }

            @Override
            public int[] observationShape(String name) {
                return model.observationShape(name);
            }
        };
    }
}
