package dev.probe.cli;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.runtime.engine.Backend;
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
    public Integer call() throws IOException {
        if (runs <= 0) {
            throw new UsageException("-n must be positive, got " + runs);
        }
        backend.check(model);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long seed = common.seed(err, "to reproduce these runs");
        ProgressBar bar = new ProgressBar(err, "runs");
        try {
            Model loaded = model.load(err);
            Map<String, Object> observations = model.observations();
            int blocks = (int) ((runs + (long) BLOCK - 1) / BLOCK);
            if (!backend.local()) {
                return elsewhere(loaded, observations, seed, blocks, out);
            }
            // Runs go out in blocks, in order, as each block finishes: memory stays that of one block,
            // and `probe sample -n 20000000 | head` prints at once.
            for (int block = 0; block < blocks; block++) {
                long offset = (long) block * BLOCK;
                Inference inference = block(loaded, observations, seed, block, model.threads(common.threads()));
                if (!common.quiet) {
                    inference.progress((done, total) -> bar.progress(offset + done, runs));
                }
                print(out, block, inference.run().traces());
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

    /**
     * The blocks as tasks of another backend (a cluster): each task prints its block's lines as
     * here, and they travel back compressed, to be printed in block order. Whole traces never
     * leave the worker; the lines are the output, so it is the local one byte for byte.
     */
    private Integer elsewhere(Model loaded, Map<String, Object> observations, long seed, int blocks, PrintWriter out)
            throws IOException {
        List<byte[]> lines;
        try {
            Backend b = backend.open(model.threads(common.threads()), seed, common.threads);
            lines = b.map(blocks, block -> {
                StringWriter text = new StringWriter();
                try (PrintWriter w = new PrintWriter(text)) {
                    print(w, block, block(loaded, observations, seed, block, 1).run().traces());
                } catch (JsonProcessingException e) {
                    throw new UncheckedIOException(e);
                }
                return gzip(text.toString());
            });
        } finally {
            backend.close();
        }
        for (byte[] block : lines) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(new ByteArrayInputStream(block)),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    out.println(line);
                }
            }
            out.flush();
            if (out.checkError()) {
                return ExitCode.OK;
            }
        }
        return ExitCode.OK;
    }

    /**
     * Block {@code block}'s runs: a seed of its own (the first block the given seed), so a seed
     * fixes every line, whatever -n, the threads and the backend.
     */
    private Inference block(Model loaded, Map<String, Object> observations, long seed, int block, int threads) {
        int size = (int) Math.min(BLOCK, runs - (long) block * BLOCK);
        return Inference.prior(loaded).observations(observations).traces(size)
                .seed(block == 0 ? seed : Seeds.generator(seed, block).nextLong())
                .threads(threads).keepTraces(true).label(model.label());
    }

    /** Block {@code block}'s runs, one JSON line each. */
    private static void print(PrintWriter out, int block, List<Trace> traces) throws JsonProcessingException {
        int i = block * BLOCK;
        for (Trace t : traces) {
            out.println(Json.MAPPER.writeValueAsString(line(i++, t)));
        }
        out.flush();
    }

    private static byte[] gzip(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(bytes)) {
            z.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
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
