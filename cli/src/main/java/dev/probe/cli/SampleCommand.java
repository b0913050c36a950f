package dev.probe.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code probe sample MODEL -n N}: N runs from the prior, observations simulated, one JSON object
 * per line: {@code {"run": i, "variables": {...}, "result": ...}}. A name that occurs several times
 * in a run gives an array, in the form {@code --observe} takes back.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs from the prior (observations simulated), one JSON object per line.")
final class SampleCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = {"-n", "--runs"}, paramLabel = "N", required = true, description = "The number of runs.")
    int runs;

    @Mixin
    CommonOptions common;

    @Mixin
    BackendOptions backend;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws JsonProcessingException {
        if (runs <= 0) {
            throw new UsageException("-n must be positive, got " + runs);
        }
        backend.check();
        if (!backend.local()) {
            // Whole traces (their distributions, a script's values) stay in the process that made them.
            throw new UsageException("--backend " + backend.backend + ": probe sample runs on the local backend only (it prints"
                    + " whole traces, which do not travel between machines); drop --backend, or use probe infer --engine prior");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long seed = common.seed(err, "to reproduce these runs");
        ProgressBar bar = new ProgressBar(err, "runs");
        try {
            Model loaded = model.load(err);
            Map<String, Object> observations = model.observations();
            // Runs go out in blocks, in order, as each block finishes: memory stays that of one block,
            // and `probe sample -n 20000000 | head` prints at once. Block b has a seed of its own (the
            // first block the given seed), so a seed fixes every line, whatever -n and the threads.
            for (int start = 0, block = 0; start < runs; start += BLOCK, block++) {
                int size = Math.min(BLOCK, runs - start);
                long offset = start;
                Inference inference = Inference.prior(loaded).observations(observations).traces(size)
                        .seed(block == 0 ? seed : Seeds.generator(seed, block).nextLong())
                        .threads(model.threads(common.threads())).keepTraces(true).label(model.label());
                if (!common.quiet) {
                    inference.progress((done, total) -> bar.progress(offset + done, runs));
                }
                int i = start;
                for (Trace t : inference.run().traces()) {
                    out.println(Json.MAPPER.writeValueAsString(line(i++, t)));
                }
                out.flush();
                if (out.checkError()) {
                    return ExitCode.OK; // The reader has gone (| head): what it wanted is out.
                }
            }
        } finally {
            bar.finish();
            model.close();
        }
        return ExitCode.OK;
    }

    /** Runs per block: a block's traces are held in memory until printed. */
    static final int BLOCK = 4096;

    private static ObjectNode line(int run, Trace t) {
        ObjectNode node = Json.NODES.objectNode();
        node.put("run", run);
        Map<String, Object> values = new LinkedHashMap<>();
        for (Variable v : t.variables()) {
            if (v.name() == null) {
                continue;
            }
            Object prev = values.get(v.name());
            if (prev == null) {
                values.put(v.name(), v.value());
            } else if (prev instanceof Repeated) {
                ((Repeated) prev).add(v.value());
            } else {
                Repeated r = new Repeated();
                r.add(prev);
                r.add(v.value());
                values.put(v.name(), r);
            }
        }
        ObjectNode vars = node.putObject("variables");
        values.forEach((k, v) -> vars.set(k, Json.MAPPER.valueToTree(v instanceof Repeated ? ((Repeated) v).items : v)));
        node.set("result", Json.MAPPER.valueToTree(t.result()));
        return node;
    }

    /** The values of a name that occurs several times in one run. */
    private static final class Repeated {
        final java.util.List<Object> items = new java.util.ArrayList<>();

        void add(Object v) {
            items.add(v);
        }
    }

}
