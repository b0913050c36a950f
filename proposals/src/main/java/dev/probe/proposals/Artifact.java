package dev.probe.proposals;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;

import ai.djl.Device;

import dev.probe.runtime.distribution.DistributionKind;
import dev.probe.runtime.io.CheckedFile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A trained network on disk: a directory holding {@code network.json} (format version, the model
 * it was trained for, sizes, observation layout and standardisation, the address table, the
 * training configuration and history, and the weights' checksum) and {@code weights.bin}
 * (every parameter's name, shape and float32 values, then a CRC-32). Files are written beside
 * their final names and moved into place, so a crash mid-save leaves the previous artifact whole.
 */
public final class Artifact {

    /** The format's name in network.json. */
    public static final String FORMAT = "probe-network";
    /** The version this Probe writes and reads. */
    public static final int VERSION = 1;
    /**
     * The version of a network.json with the call-tree recurrence: a Probe that reads only
     * {@link #VERSION} refuses it rather than run it as a sequence network. The weights file's
     * format is the same.
     */
    public static final int CALL_TREE_VERSION = 2;
    static final String METADATA = "network.json";
    static final String WEIGHTS = "weights.bin";
    private static final byte[] MAGIC = {'P', 'R', 'O', 'B', 'E', 'N', 'E', 'T'};
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final ProposalNetwork network;
    private final String modelIdentity;
    private final String modelLabel;
    private final ObjectNode training;

    /**
     * @param modelIdentity what the network was trained for ({@link dev.probe.runtime.model.Model#identity()})
     * @param training      the training configuration and history, kept as given
     */
    public Artifact(ProposalNetwork network, String modelIdentity, String modelLabel, ObjectNode training) {
        this.network = network;
        this.modelIdentity = modelIdentity;
        this.modelLabel = modelLabel;
        this.training = training;
    }

    public ProposalNetwork network() {
        return network;
    }

    public String modelIdentity() {
        return modelIdentity;
    }

    public String modelLabel() {
        return modelLabel;
    }

    /** The training configuration and history. */
    public ObjectNode training() {
        return training;
    }

    /**
     * How many runs ic should advance side by side: 1 on the CPU, where each run's step is made in
     * Java for less than a batched pass costs in calls and thread hand-offs ({@link StepKernel}),
     * and when no training run made more than one proposable choice (every network step is then a
     * shared first step); otherwise {@link NetworkProposal#DEFAULT_GROUP}.
     */
    public int suggestedGroupSize() {
        int longest = training.path("longest_run_choices").asInt(Integer.MAX_VALUE);
        return longest <= 1 || !network.device().isGpu() ? 1 : NetworkProposal.DEFAULT_GROUP;
    }

    /** A JSON object to fill with training facts. */
    public static ObjectNode newObject() {
        return JSON.createObjectNode();
    }

    /**
     * Checks that this network was trained for the model about to use it.
     *
     * @throws ArtifactException naming both models when they differ
     */
    public void requireModel(String identity, String label, Path dir) {
        if (!modelIdentity.equals(identity)) {
            throw new ArtifactException(dir + " holds a network trained for " + modelLabel + " (" + modelIdentity
                    + "), not for " + label + " (" + identity + "): train one for this model", ArtifactException.Problem.OTHER_MODEL);
        }
    }

    // ---- writing ------------------------------------------------------------------------------

    /**
     * Writes the artifact into {@code dir} (created if needed), replacing the network there as a
     * whole: the new weights go to a file of their own, then one rename of {@code network.json}
     * switches from the old network to the new, and only then do the weights take their usual
     * name. A crash at any point leaves a directory that loads as the old network or the new one.
     * Another Probe process writing the same directory is refused (see {@link CheckedFile#reserve}).
     */
    public void save(Path dir) throws IOException {
        CheckedFile.under(dir, CheckedFile.Kind.DIRECTORY, r -> {
            String staged = "weights-" + Long.toHexString(System.nanoTime()) + Long.toHexString(Thread.currentThread().getId()) + ".bin";
            try {
                long crc = CheckedFile.writeInside(r, staged, this::writeWeights, true);
                long bytes = Files.size(dir.resolve(staged));
                CheckedFile.writeInside(r, METADATA, out -> out.write(JSON.writeValueAsBytes(metadata(crc, bytes, staged))), false);
                afterStep.run();
                CheckedFile.moveIntoPlace(dir.resolve(staged), dir.resolve(WEIGHTS));
                CheckedFile.syncDirectory(dir);
                afterStep.run();
                CheckedFile.writeInside(r, METADATA, out -> out.write(JSON.writeValueAsBytes(metadata(crc, bytes, WEIGHTS))), false);
            } finally {
                // Weights staged by this save or by one that crashed: the description names weights.bin by now, or the old network.
                try (java.util.stream.Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        String n = f.getFileName().toString();
                        if (STAGED.matcher(n).matches() && !n.equals(namedWeights(dir))) {
                            Files.deleteIfExists(f);
                        }
                    }
                }
            }
            return null;
        });
    }

    /** Weights written by a save under a name of their own, before they take the name weights.bin. */
    private static final java.util.regex.Pattern STAGED = java.util.regex.Pattern.compile("weights-[0-9a-f]+\\.bin");
    /** For tests: runs between the steps of a save, where a crash may strike. */
    static Runnable afterStep = () -> { };

    /** The weights file the description in {@code dir} names, or null. */
    private static String namedWeights(Path dir) {
        try {
            return JSON.readTree(dir.resolve(METADATA).toFile()).path("weights").path("file").asText(null);
        } catch (IOException e) {
            return null;
        }
    }

    private void writeWeights(DataOutputStream out) throws IOException {
        out.write(MAGIC);
        out.writeInt(VERSION);
        Map<String, float[]> values = network.weights();
        Map<String, ai.djl.ndarray.types.Shape> shapes = network.shapes();
        out.writeInt(values.size());
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            out.writeUTF(e.getKey());
            long[] dims = shapes.get(e.getKey()).getShape();
            out.writeInt(dims.length);
            for (long d : dims) {
                out.writeLong(d);
            }
            writeFloats(out, e.getValue());
        }
    }

    private ObjectNode metadata(long crc, long bytes, String weightsFile) {
        ObjectNode m = JSON.createObjectNode();
        m.put("format", FORMAT);
        m.put("version", network.config().callTree() ? CALL_TREE_VERSION : VERSION);
        ObjectNode model = m.putObject("model");
        model.put("identity", modelIdentity);
        model.put("label", modelLabel);
        ProposalNetwork.Config c = network.config();
        ObjectNode cfg = m.putObject("network");
        cfg.put("observation_embedding", c.observationEmbedding());
        cfg.put("address_embedding", c.addressEmbedding());
        cfg.put("kind_embedding", c.kindEmbedding());
        cfg.put("value_embedding", c.valueEmbedding());
        cfg.put("lstm_hidden", c.hidden());
        cfg.put("max_addresses", c.maxAddresses());
        cfg.put("max_categories", c.maxCategories());
        cfg.put("recurrence", c.recurrence());
        cfg.put("parameters", network.size());
        ArrayNode kinds = cfg.putArray("kinds");
        ProposalNetwork.KINDS.forEach(k -> kinds.add(k.label()));
        ArrayNode obs = m.putArray("observations");
        for (ObservationLayout.Entry e : network.layout().entries()) {
            ObjectNode o = obs.addObject();
            o.put("name", e.name());
            o.put("length", e.length());
            if (e.isImage()) {
                ArrayNode s = o.putArray("shape");
                for (int d : e.shape()) {
                    s.add(d);
                }
            }
            ArrayNode mean = o.putArray("mean");
            for (double v : e.mean()) {
                mean.add(v);
            }
            ArrayNode std = o.putArray("std");
            for (double v : e.std()) {
                std.add(v);
            }
        }
        ArrayNode addr = m.putArray("addresses");
        for (AddressTable.Entry e : network.addresses().entries()) {
            ObjectNode a = addr.addObject();
            a.put("address", e.key());
            a.put("kind", e.kind());
            a.put("head", e.head().name());
            a.put("training_choices", e.count());
        }
        m.set("training", training);
        ObjectNode w = m.putObject("weights");
        w.put("file", weightsFile);
        w.put("bytes", bytes);
        w.put("crc32", Long.toHexString(crc));
        return m;
    }

    // ---- reading ------------------------------------------------------------------------------

    /**
     * Whether a saved "recurrence" is the call tree; networks saved before it existed are
     * sequences. A call-tree network is format version {@link #CALL_TREE_VERSION} and no other is.
     */
    private static boolean recurrence(Path dir, int version, String saved) {
        if (!ProposalNetwork.Config.RECURRENCES.contains(saved)) {
            throw new ArtifactException(dir + " holds a network with recurrence \"" + saved
                    + "\", which this Probe does not know (sequence, call-tree): use the Probe that made it");
        }
        boolean callTree = saved.equals(ProposalNetwork.Config.CALL_TREE);
        if (callTree != (version == CALL_TREE_VERSION)) {
            throw new ArtifactException(dir.resolve(METADATA) + " is damaged: format version " + version + " with recurrence "
                    + saved + " (a call-tree network is version " + CALL_TREE_VERSION + ", no other is): train the network again");
        }
        return callTree;
    }

    /**
     * Reads the artifact in {@code dir} onto {@code device}.
     *
     * @throws ArtifactException when the directory is not an artifact, is damaged or is of an unknown version
     */
    public static Artifact load(Path dir, Device device) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new ArtifactException(dir + " is not a directory: give the directory a trained network was saved in",
                    ArtifactException.Problem.NOT_A_NETWORK);
        }
        JsonNode m;
        try {
            m = JSON.readTree(dir.resolve(METADATA).toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new ArtifactException(dir + " holds no " + METADATA + ": it is not a trained network",
                    ArtifactException.Problem.NOT_A_NETWORK);
        } catch (JsonProcessingException e) {
            throw new ArtifactException(dir.resolve(METADATA) + " is damaged (not valid JSON: " + e.getOriginalMessage()
                    + "): train the network again");
        }
        if (m == null || !FORMAT.equals(m.path("format").asText())) {
            throw new ArtifactException(dir.resolve(METADATA) + " is not a Probe network description (no \"format\": \""
                    + FORMAT + "\")");
        }
        int version = m.path("version").asInt(-1);
        if (version != VERSION && version != CALL_TREE_VERSION) {
            throw new ArtifactException(dir + " holds a network in format version " + version + "; this Probe reads versions "
                    + VERSION + " and " + CALL_TREE_VERSION
                    + (version > CALL_TREE_VERSION ? ": use the Probe that made it, or a newer one" : ": train it again"));
        }
        try {
            ProposalNetwork.Config config = new ProposalNetwork.Config(req(m, "network", "observation_embedding").asInt(),
                    req(m, "network", "address_embedding").asInt(), req(m, "network", "kind_embedding").asInt(),
                    req(m, "network", "value_embedding").asInt(), req(m, "network", "lstm_hidden").asInt(),
                    req(m, "network", "max_addresses").asInt(), req(m, "network", "max_categories").asInt(),
                    recurrence(dir, version, m.path("network").path("recurrence").asText(ProposalNetwork.Config.SEQUENCE)));
            List<String> kinds = new ArrayList<>();
            m.path("network").path("kinds").forEach(k -> kinds.add(k.asText()));
            if (!kinds.equals(ProposalNetwork.KINDS.stream().map(DistributionKind::label).toList())) {
                throw new ArtifactException(dir + " was made with another table of distribution kinds " + kinds
                        + ": train the network again with this Probe");
            }
            List<ObservationLayout.Entry> entries = new ArrayList<>();
            for (JsonNode o : m.path("observations")) {
                int[] shape = null;
                if (o.has("shape")) {
                    shape = new int[o.get("shape").size()];
                    for (int i = 0; i < shape.length; i++) {
                        shape[i] = o.get("shape").get(i).asInt();
                    }
                }
                entries.add(new ObservationLayout.Entry(o.path("name").asText(), shape, doubles(o.path("mean")),
                        doubles(o.path("std"))));
            }
            List<AddressTable.Entry> addresses = new ArrayList<>();
            for (JsonNode a : m.path("addresses")) {
                addresses.add(new AddressTable.Entry(a.path("address").asText(), a.path("kind").asText(),
                        Head.valueOf(a.path("head").asText()), a.path("training_choices").asLong()));
            }
            Map<String, float[]> weights = readWeights(weightsFile(dir, m), m.path("weights").path("crc32").asText());
            ProposalNetwork network = ProposalNetwork.of(config, new ObservationLayout(entries),
                    AddressTable.of(config.maxAddresses(), addresses), device, weights);
            ObjectNode training = m.path("training").isObject() ? (ObjectNode) m.get("training") : JSON.createObjectNode();
            return new Artifact(network, req(m, "model", "identity").asText(), req(m, "model", "label").asText(), training);
        } catch (IllegalArgumentException e) {
            if (e instanceof ArtifactException) {
                throw e;
            }
            throw new ArtifactException(dir + " is damaged: " + e.getMessage() + ": train the network again");
        }
    }

    /** Big-endian floats in bulk: a per-value writeFloat costs a tenth of a second per checkpoint. */
    private static void writeFloats(DataOutputStream out, float[] v) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16);
        for (int i = 0; i < v.length;) {
            int n = Math.min(v.length - i, buf.capacity() / 4);
            buf.clear();
            buf.asFloatBuffer().put(v, i, n);
            out.write(buf.array(), 0, n * 4);
            i += n;
        }
    }

    private static float[] readFloats(DataInputStream in, int n) throws IOException {
        float[] v = new float[n];
        byte[] bytes = new byte[1 << 16];
        for (int i = 0; i < n;) {
            int k = Math.min(n - i, bytes.length / 4);
            in.readFully(bytes, 0, k * 4);
            java.nio.ByteBuffer.wrap(bytes, 0, k * 4).asFloatBuffer().get(v, i, k);
            i += k;
        }
        return v;
    }

    /**
     * The weights the description names: weights.bin, or weights a save staged under their own
     * name; weights.bin when those have been renamed already (the checksum tells them apart).
     */
    private static Path weightsFile(Path dir, JsonNode m) {
        String named = m.path("weights").path("file").asText(WEIGHTS);
        if (!named.equals(WEIGHTS) && !STAGED.matcher(named).matches()) {
            throw new ArtifactException(dir.resolve(METADATA) + " names weights '" + named + "', not a weights file of this"
                    + " directory: train the network again");
        }
        Path file = dir.resolve(named);
        file = Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? file : dir.resolve(WEIGHTS);
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new ArtifactException(file + " is not a regular file: the artifact is damaged; train the network again");
        }
        return file;
    }

    private static JsonNode req(JsonNode m, String object, String field) {
        JsonNode v = m.path(object).path(field);
        if (v.isMissingNode() || v.isNull()) {
            throw new IllegalArgumentException(METADATA + " has no " + object + "." + field);
        }
        return v;
    }

    private static double[] doubles(JsonNode a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.get(i).asDouble();
        }
        return d;
    }

    private static Map<String, float[]> readWeights(Path file, String expectedCrc) throws IOException {
        Map<String, float[]> weights = new LinkedHashMap<>();
        long crc;
        long stored;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
                CheckedInputStream checked = new CheckedInputStream(raw, new CRC32());
                DataInputStream in = new DataInputStream(checked)) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new ArtifactException(file + " is not a Probe weights file");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new ArtifactException(file + " is in weights format version " + version + "; this Probe reads " + VERSION);
            }
            int count = in.readInt();
            if (count < 0 || count > 100_000) {
                throw new ArtifactException(file + " is damaged (it claims " + count + " parameters): train the network again");
            }
            for (int i = 0; i < count; i++) {
                String name = in.readUTF();
                int rank = in.readInt();
                if (rank < 0 || rank > 8) {
                    throw new ArtifactException(file + " is damaged (parameter " + name + " has rank " + rank + ")");
                }
                long n = 1;
                for (int r = 0; r < rank; r++) {
                    n *= in.readLong();
                }
                if (n < 0 || n > Integer.MAX_VALUE / 4) {
                    throw new ArtifactException(file + " is damaged (parameter " + name + " claims " + n + " values)");
                }
                weights.put(name, readFloats(in, (int) n));
            }
            crc = checked.getChecksum().getValue();
            stored = in.readLong();
            if (in.read() != -1) {
                throw new ArtifactException(file + " is damaged (bytes after its end): train the network again");
            }
        } catch (NoSuchFileException e) {
            throw new ArtifactException(file + " is missing: the artifact is incomplete; train the network again");
        } catch (EOFException e) {
            throw new ArtifactException(file + " is damaged (it ends early): train the network again");
        }
        if (crc != stored || !Long.toHexString(crc).equals(expectedCrc)) {
            throw new ArtifactException(file + " is damaged (its checksum does not match"
                    + (crc == stored ? " the one in " + METADATA : "") + "): train the network again");
        }
        return weights;
    }
}
