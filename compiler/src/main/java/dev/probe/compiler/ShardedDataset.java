package dev.probe.compiler;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.runtime.engine.Backend;
import dev.probe.runtime.io.CheckedFile;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Provenance;

/**
 * A trace dataset cut into shards, for datasets simulated by many workers: a directory holding
 * one {@link TraceDataset} file per range of runs and a manifest, {@value #MANIFEST}, that lists
 * them in run order with their byte lengths and SHA-256 checksums. Read back, it is the same
 * dataset as the one file {@code probe compile --save-dataset FILE} writes under the same seed.
 *
 * <p>Each shard is one task of a {@link Backend}: a pure function of the model, the seed and its
 * run range, so any backend, parallelism or task order gives the same bytes. A task either writes
 * its shard into the dataset directory itself (when every worker sees that directory: the local
 * backend, a cluster with a shared file system) or returns the bytes for this process to write.
 * Shards are written whole or not at all, and the manifest last: until it is in place, a directory
 * holds the previous dataset (shard names are derived from their content's inputs, so a shard of
 * the previous dataset is only ever replaced by the same bytes) or none.
 */
public final class ShardedDataset {

    /** The manifest's file name inside a sharded dataset's directory. */
    public static final String MANIFEST = "manifest.json";
    /** What the manifest's {@code format} field says. */
    static final String FORMAT = "probe-trace-dataset-manifest";
    /** The manifest version this Probe writes and reads. */
    public static final int VERSION = 1;
    /** How shard files are named: {@code shard-INDEX-KEY.traces}. */
    private static final String PREFIX = "shard-";
    private static final String SUFFIX = ".traces";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ShardedDataset() {
    }

    /**
     * One shard as the manifest lists it.
     *
     * @param file   its file name inside the dataset's directory
     * @param start  its first run
     * @param end    one past its last run
     * @param bytes  its length in bytes
     * @param sha256 the SHA-256 of its bytes, in hex
     */
    public record Shard(String file, long start, long end, long bytes, String sha256) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** A shard task's result: the shard, and its bytes when the task did not write them itself. */
    public record Written(Shard shard, byte[] bytes) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * The run ranges of {@code shards} shards of {@code n} runs: whole {@link TraceDataset#BLOCK}s
     * of runs (the last may be short), as evenly spread as they go.
     *
     * @throws IllegalArgumentException when there are more shards than blocks
     */
    public static List<long[]> ranges(long n, int shards) {
        long blocks = (n + TraceDataset.BLOCK - 1) / TraceDataset.BLOCK;
        if (shards <= 0 || shards > blocks) {
            throw new IllegalArgumentException(shards + " shards do not fit " + n + " runs: a shard holds whole"
                    + " blocks of " + TraceDataset.BLOCK + " runs, so give from 1 to " + blocks + " shards");
        }
        List<long[]> ranges = new ArrayList<>(shards);
        for (int s = 0; s < shards; s++) {
            long from = blocks * s / shards * TraceDataset.BLOCK;
            long to = Math.min(n, blocks * (s + 1) / shards * TraceDataset.BLOCK);
            ranges.add(new long[] {from, to});
        }
        return ranges;
    }

    /**
     * Simulates {@code n} runs of {@code model} into {@code dir} as {@code shards} shards, one task
     * of {@code backend} each, then writes the manifest. The caller holds {@code dir}'s
     * reservation ({@link CheckedFile#reserve}).
     *
     * @param sharedDirectory true when the backend's workers see {@code dir} and write their shards
     *                        there; false to bring every shard's bytes back here to be written
     * @param progress        told the runs simulated so far (when tasks run in this process)
     * @return the shards written, in run order
     */
    public static List<Shard> write(Path dir, Model model, String label, long seed, long n, int shards, Backend backend,
            boolean sharedDirectory, LongConsumer progress) throws IOException {
        List<long[]> ranges = ranges(n, shards);
        Path target = dir.toAbsolutePath().normalize();
        Files.createDirectories(target);
        ShardTask task = new ShardTask(model, label, seed, ranges, sharedDirectory ? target.toString() : null, progress);
        List<Written> results = backend.map(ranges.size(), task);
        List<Shard> written = new ArrayList<>(results.size());
        for (Written w : results) {
            if (w.bytes() != null) {
                CheckedFile.writeShared(target, w.shard().file(), out -> out.write(w.bytes()), false);
            }
            written.add(w.shard());
        }
        ObjectNode manifest = JSON.createObjectNode();
        manifest.put("format", FORMAT);
        manifest.put("version", VERSION);
        manifest.put("dataset_version", TraceDataset.VERSION);
        manifest.put("probe_version", Provenance.PROBE_VERSION);
        manifest.put("model", label);
        manifest.put("model_identity", model.identity());
        manifest.put("seed", seed);
        manifest.put("runs", n);
        manifest.put("block", TraceDataset.BLOCK);
        ArrayNode list = manifest.putArray("shards");
        for (Shard s : written) {
            ObjectNode e = list.addObject();
            e.put("file", s.file());
            e.put("start", s.start());
            e.put("end", s.end());
            e.put("bytes", s.bytes());
            e.put("sha256", s.sha256());
        }
        byte[] text = JSON.writeValueAsBytes(manifest);
        CheckedFile.writeShared(target, MANIFEST, out -> out.write(text), false);
        removeStale(target, written);
        return written;
    }

    /** Removes the shards of a dataset the new manifest replaced. */
    private static void removeStale(Path dir, List<Shard> kept) throws IOException {
        Set<String> names = new HashSet<>();
        kept.forEach(s -> names.add(s.file()));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
            for (Path p : entries) {
                if (!names.contains(p.getFileName().toString()) && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** How every message about a damaged sharded dataset ends: the command line adds how. */
    public static final String FIX = "write it again";

    /**
     * Reads a sharded dataset ({@code path} is its directory or its manifest) whole, as one
     * dataset, checking every shard against the manifest.
     *
     * @throws IllegalArgumentException naming the shard when one is missing, truncated, out of
     *                                  order or damaged, or the manifest is not one
     */
    public static TraceDataset read(Path path) throws IOException {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Path manifestFile = dir.resolve(MANIFEST);
        JsonNode m;
        try {
            m = JSON.readTree(Files.readAllBytes(manifestFile));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(path + " is a directory with no " + MANIFEST + ": it "
                    + TraceDataset.NOT_A_DATASET);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(manifestFile + " is damaged (not JSON): " + FIX);
        }
        if (m == null || !FORMAT.equals(m.path("format").asText())) {
            throw new IllegalArgumentException(manifestFile + " is not a Probe trace dataset manifest: " + FIX);
        }
        int version = m.path("version").asInt(-1);
        if (version != VERSION) {
            throw new IllegalArgumentException(manifestFile + " is a dataset manifest in format version " + version
                    + "; this Probe reads version " + VERSION);
        }
        String identity = m.path("model_identity").asText();
        String label = m.path("model").asText();
        long n = m.path("runs").asLong(-1);
        JsonNode shards = m.path("shards");
        if (n < 0 || n > Integer.MAX_VALUE || !shards.isArray() || shards.isEmpty()) {
            throw new IllegalArgumentException(manifestFile + " is damaged (no runs or no shards listed): " + FIX);
        }
        List<SimulatedRun> runs = new ArrayList<>((int) Math.min(n, 1 << 20));
        long next = 0;
        for (JsonNode e : shards) {
            Shard s = new Shard(e.path("file").asText(), e.path("start").asLong(-1), e.path("end").asLong(-1),
                    e.path("bytes").asLong(-1), e.path("sha256").asText());
            String where = "shard " + s.file() + " (runs " + s.start() + " to " + s.end() + ") of " + dir;
            if (s.start() != next || s.end() <= s.start()) {
                throw new IllegalArgumentException(manifestFile + " lists " + where + " out of order (the runs before it"
                        + " end at " + next + "): " + FIX);
            }
            runs.addAll(readShard(dir, s, where, identity, shards));
            next = s.end();
        }
        if (next != n) {
            throw new IllegalArgumentException(manifestFile + " lists shards up to run " + next + " of its " + n + " runs: "
                    + FIX);
        }
        return new TraceDataset(identity, label, runs);
    }

    private static List<SimulatedRun> readShard(Path dir, Shard s, String where, String identity, JsonNode all)
            throws IOException {
        Path file = dir.resolve(s.file()).normalize();
        if (!dir.toAbsolutePath().normalize().equals(file.toAbsolutePath().getParent()) || !s.file().endsWith(SUFFIX)) {
            throw new IllegalArgumentException(dir.resolve(MANIFEST) + " names " + s.file() + ", which is no shard file"
                    + " inside " + dir + ": " + FIX);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(where + " is missing: restore it, or " + FIX);
        }
        if (bytes.length != s.bytes()) {
            throw new IllegalArgumentException(where + " is " + (bytes.length < s.bytes() ? "truncated" : "longer than listed")
                    + " (" + bytes.length + " bytes, the manifest says " + s.bytes() + "): restore it, or " + FIX);
        }
        String sha = sha256(bytes);
        if (!sha.equals(s.sha256())) {
            for (JsonNode other : all) {
                if (sha.equals(other.path("sha256").asText())) {
                    throw new IllegalArgumentException(where + " holds the runs of shard " + other.path("file").asText()
                            + ": the shard files were swapped or renamed; restore their names, or " + FIX);
                }
            }
            throw new IllegalArgumentException(where + " is damaged (its SHA-256 does not match the manifest): restore it,"
                    + " or " + FIX);
        }
        TraceDataset shard = TraceDataset.read(new ByteArrayInputStream(bytes), file.toString());
        if (!shard.identity().equals(identity) || shard.runs().size() != s.end() - s.start()) {
            throw new IllegalArgumentException(where + " holds " + shard.runs().size() + " runs of " + shard.label()
                    + ", not what the manifest lists: " + FIX);
        }
        return shard.runs();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * The task of shard {@code index}: simulates its runs, one seed stream per block of
     * {@link TraceDataset#BLOCK} runs, on the task's own thread, and makes its file.
     */
    static final class ShardTask implements Backend.Task<Written> {
        private static final long serialVersionUID = 1L;

        private final Model model;
        private final String label;
        private final long seed;
        private final List<long[]> ranges;
        /** The dataset directory every worker sees, or null to return the bytes. */
        private final String directory;
        private final transient LongConsumer progress;
        private final transient AtomicLong done = new AtomicLong();

        ShardTask(Model model, String label, long seed, List<long[]> ranges, String directory, LongConsumer progress) {
            this.model = model;
            this.label = label;
            this.seed = seed;
            this.ranges = new ArrayList<>(ranges);
            this.directory = directory;
            this.progress = progress;
        }

        @Override
        public Written run(int index) {
            long from = ranges.get(index)[0];
            long to = ranges.get(index)[1];
            List<SimulatedRun> runs = new ArrayList<>((int) (to - from));
            for (long at = from; at < to; at += TraceDataset.BLOCK) {
                int count = (int) Math.min(TraceDataset.BLOCK, to - at);
                runs.addAll(RunSource.simulate(model, label, Streams.seed(seed, at / TraceDataset.BLOCK), count, 1, 64));
                if (progress != null) {
                    progress.accept(done.addAndGet(count));
                }
            }
            byte[] bytes = TraceDataset.bytes(model.identity(), label, runs);
            String sha = sha256(bytes);
            Shard shard = new Shard(name(index, from, to), from, to, bytes.length, sha);
            if (directory == null) {
                return new Written(shard, bytes);
            }
            try {
                CheckedFile.writeShared(Path.of(directory), shard.file(), out -> out.write(bytes), false);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write " + shard.file() + " in " + directory + ": "
                        + e.getMessage(), e);
            }
            return new Written(shard, null);
        }

        /**
         * A shard's file name: its index and a key of everything its bytes depend on, so that a
         * name always stands for the same bytes.
         */
        private String name(int index, long from, long to) {
            String inputs = TraceDataset.VERSION + "\n" + model.identity() + "\n" + label + "\n" + seed + "\n" + from + "\n" + to;
            String key = sha256(inputs.getBytes(StandardCharsets.UTF_8)).substring(0, 12);
            return String.format(java.util.Locale.ROOT, "%s%05d-%s%s", PREFIX, index, key, SUFFIX);
        }
    }
}
