package dev.probe.compiler;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;

import dev.probe.proposals.Choice;
import dev.probe.runtime.InvalidSettingException;
import dev.probe.runtime.io.CheckedFile;
import dev.probe.proposals.Head;

/**
 * Simulated runs saved once, to train from as often as wanted: for simulators too slow to run
 * during every training. The file holds a header (format, version, the model's identity and
 * label, the run count), the runs (observations by name, then the controlled choices as
 * {@link Choice}s), and a CRC-32 of all that. It is written beside its name and moved into place.
 */
public final class TraceDataset {

    private static final byte[] MAGIC = {'P', 'R', 'O', 'B', 'E', 'D', 'S', 'T'};
    /** The version this Probe writes and reads. */
    public static final int VERSION = 1;
    /**
     * Runs simulated per seed stream: run i of a dataset is run {@code i % BLOCK} of the prior
     * sampled under stream {@code i / BLOCK} of the seed, whether one file or shards hold it.
     */
    public static final int BLOCK = 4096;
    /** How a file that is no trace dataset is described, after its name. */
    public static final String NOT_A_DATASET = "is not a Probe trace dataset";

    private final String identity;
    private final String label;
    private final List<SimulatedRun> runs;

    TraceDataset(String identity, String label, List<SimulatedRun> runs) {
        this.identity = identity;
        this.label = label;
        this.runs = runs;
    }

    public String identity() {
        return identity;
    }

    public String label() {
        return label;
    }

    public List<SimulatedRun> runs() {
        return Collections.unmodifiableList(runs);
    }

    /**
     * Simulates {@code n} runs from {@code source} in blocks and writes them to {@code file}.
     *
     * @param progress told the runs written so far
     */
    public static void write(Path file, RunSource source, long n, int block, java.util.function.LongConsumer progress)
            throws IOException {
        CheckedFile.write(file, out -> {
            writeHeader(out, source.identity(), source.label(), n);
            long done = 0;
            while (done < n) {
                List<SimulatedRun> runs = source.next((int) Math.min(block, n - done));
                for (SimulatedRun r : runs) {
                    writeRun(out, r);
                }
                done += runs.size();
                progress.accept(done);
            }
        });
    }

    /**
     * A whole dataset file holding {@code runs}, its CRC-32 trailer included, byte for byte what
     * {@link #write} makes of the same runs.
     */
    static byte[] bytes(String identity, String label, List<SimulatedRun> runs) {
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        CRC32 crc = new CRC32();
        try {
            DataOutputStream out = new DataOutputStream(new java.util.zip.CheckedOutputStream(buffer, crc));
            writeHeader(out, identity, label, runs.size());
            for (SimulatedRun r : runs) {
                writeRun(out, r);
            }
            out.flush();
            new DataOutputStream(buffer).writeLong(crc.getValue());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    private static void writeHeader(DataOutputStream out, String identity, String label, long n) throws IOException {
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(identity);
        out.writeUTF(label);
        out.writeLong(n);
    }

    private static void writeRun(DataOutputStream out, SimulatedRun r) throws IOException {
        out.writeInt(r.observations().size());
        for (Map.Entry<String, double[]> e : r.observations().entrySet()) {
            out.writeUTF(e.getKey());
            writeDoubles(out, e.getValue());
        }
        out.writeInt(r.choices().size());
        for (Choice c : r.choices()) {
            out.writeUTF(c.address());
            out.writeUTF(c.kind());
            out.writeByte(c.head().ordinal());
            writeDoubles(out, c.prior());
            out.writeDouble(c.value());
            out.writeDouble(c.feature());
        }
    }

    private static void writeDoubles(DataOutputStream out, double[] v) throws IOException {
        out.writeInt(v.length);
        for (double d : v) {
            out.writeDouble(d);
        }
    }

    /**
     * Reads a dataset whole, checking its checksum.
     *
     * @throws IllegalArgumentException when the file is not a dataset, is damaged or is of an unknown version
     */
    public static TraceDataset read(Path file) throws IOException {
        if (Files.isDirectory(file) || file.getFileName() != null
                && ShardedDataset.MANIFEST.equals(file.getFileName().toString())) {
            return ShardedDataset.read(file);
        }
        java.io.InputStream stream;
        try {
            stream = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such dataset: " + file);
        }
        return read(stream, file.toString());
    }

    /**
     * Reads a dataset whole from {@code stream}, checking its checksum; {@code name} says where it
     * came from in messages.
     */
    static TraceDataset read(java.io.InputStream stream, String name) throws IOException {
        Path file = Path.of(name);
        CheckedInputStream checked = new CheckedInputStream(new BufferedInputStream(stream, 1 << 16), new CRC32());
        try (DataInputStream in = new DataInputStream(checked)) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new IllegalArgumentException(file + " " + NOT_A_DATASET);
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException(file + " is a trace dataset in format version " + version
                        + "; this Probe reads version " + VERSION);
            }
            String identity = in.readUTF();
            String label = in.readUTF();
            long n = in.readLong();
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + " is damaged (it claims " + n + " runs)");
            }
            List<SimulatedRun> runs = new ArrayList<>((int) Math.min(n, 1 << 20));
            for (long i = 0; i < n; i++) {
                runs.add(readRun(in, file));
            }
            long computed = checked.getChecksum().getValue();
            long stored = in.readLong();
            if (computed != stored || in.read() != -1) {
                throw new IllegalArgumentException(file + " is damaged (its checksum does not match): write it again");
            }
            return new TraceDataset(identity, label, runs);
        } catch (EOFException e) {
            throw new IllegalArgumentException(file + " is damaged (it ends early): write it again");
        }
    }

    private static SimulatedRun readRun(DataInputStream in, Path file) throws IOException {
        int nObs = in.readInt();
        if (nObs < 0 || nObs > 1_000_000) {
            throw new IllegalArgumentException(file + " is damaged (a run claims " + nObs + " observations)");
        }
        Map<String, double[]> obs = new LinkedHashMap<>();
        for (int i = 0; i < nObs; i++) {
            String name = in.readUTF();
            obs.put(name, readDoubles(in, file));
        }
        int nChoices = in.readInt();
        if (nChoices < 0 || nChoices > 100_000_000) {
            throw new IllegalArgumentException(file + " is damaged (a run claims " + nChoices + " choices)");
        }
        List<Choice> choices = new ArrayList<>(nChoices);
        Head[] heads = Head.values();
        for (int i = 0; i < nChoices; i++) {
            String address = in.readUTF();
            String kind = in.readUTF();
            int head = in.readByte();
            if (head < 0 || head >= heads.length) {
                throw new IllegalArgumentException(file + " is damaged (unknown head " + head + ")");
            }
            double[] prior = readDoubles(in, file);
            double value = in.readDouble();
            double feature = in.readDouble();
            choices.add(new Choice(address, kind, heads[head], prior, value, feature));
        }
        return new SimulatedRun(obs, choices);
    }

    private static double[] readDoubles(DataInputStream in, Path file) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 100_000_000) {
            throw new IllegalArgumentException(file + " is damaged (an array claims " + n + " values)");
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = in.readDouble();
        }
        return v;
    }

    /**
     * The dataset as a run source: the first {@code validation} runs are the validation set; the
     * rest are served in passes, each pass in a fresh seeded order.
     */
    public RunSource source(Path file, long seed) {
        return new RunSource() {
            private List<SimulatedRun> training;
            private int at;
            private long pass;

            @Override
            public List<SimulatedRun> validation(int n) {
                if (runs.size() <= n) {
                    throw new InvalidSettingException("validationSize", n + " leaves no runs to train on: " + file + " holds "
                            + runs.size() + " runs; lower it or write a larger dataset");
                }
                training = new ArrayList<>(runs.subList(n, runs.size()));
                Collections.shuffle(training, new Random(Streams.seed(seed, -2)));
                return new ArrayList<>(runs.subList(0, n));
            }

            @Override
            public List<SimulatedRun> next(int n) {
                List<SimulatedRun> out = new ArrayList<>(n);
                while (out.size() < n) {
                    if (at == training.size()) {
                        at = 0;
                        pass++;
                        Collections.shuffle(training, new Random(Streams.seed(seed, -3 - pass)));
                    }
                    out.add(training.get(at++));
                }
                return out;
            }

            @Override
            public String identity() {
                return identity;
            }

            @Override
            public String label() {
                return label;
            }

            @Override
            public String describe() {
                return "dataset " + file.toAbsolutePath();
            }
        };
    }
}
