package dev.probe.compiler;

import java.util.ArrayList;
import java.util.List;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.trace.Trace;

/** Where training runs come from: a model simulated on the fly, or a trace dataset on disk. */
public interface RunSource {

    /** The fixed validation runs; asked for once, before any training run. */
    List<SimulatedRun> validation(int n);

    /** The next {@code n} training runs (fewer only if the source has no more). */
    List<SimulatedRun> next(int n);

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
        List<Trace> traces = Inference.prior(model).keepTraces(true).traces(n).seed(seed).threads(threads).label(label)
                .run().traces();
        List<SimulatedRun> runs = new ArrayList<>(traces.size());
        for (Trace t : traces) {
            runs.add(SimulatedRun.of(t, maxCategories));
        }
        return runs;
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
