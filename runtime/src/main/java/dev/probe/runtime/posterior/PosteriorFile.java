package dev.probe.runtime.posterior;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;

import dev.probe.runtime.ProbeException;

/**
 * Probe's posterior file format, version 1 (docs/posterior-format.md). Big-endian binary: a magic
 * string, the format version, provenance, weights, columns, and a CRC-32 of everything before it.
 * A file is written to a temporary sibling and moved into place, so an interrupted save never
 * leaves a half-written file under the real name.
 */
final class PosteriorFile {

    static final byte[] MAGIC = "PROBEPST".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;

    private static final byte SECTION_NAMED = 'n';
    private static final byte SECTION_ADDRESS = 'a';
    private static final byte SECTION_RESULT = 'r';

    private static final byte T_NULL = 0;
    private static final byte T_DOUBLE = 1;
    private static final byte T_LONG = 2;
    private static final byte T_BOOLEAN = 3;
    private static final byte T_STRING = 4;
    private static final byte T_DOUBLES = 5;
    private static final byte T_LONGS = 6;
    private static final byte T_BOOLEANS = 7;

    /** Refuses strings and counts longer than this in a damaged file instead of allocating them. */
    private static final int MAX_LENGTH = 1 << 28;

    private PosteriorFile() {
    }

    static void write(Posterior p, Path file) throws IOException {
        dev.probe.runtime.io.CheckedFile.write(file, out -> writeBody(p, out));
    }

    private static void writeBody(Posterior p, DataOutputStream out) throws IOException {
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(p.info().size());
        for (Map.Entry<String, String> e : p.info().entrySet()) {
            writeString(out, e.getKey());
            writeString(out, e.getValue());
        }
        int n = p.size();
        out.writeInt(n);
        int[] chains = p.rawChains();
        out.writeInt(chains == null ? -1 : chains.length);
        if (chains != null) {
            for (int c : chains) {
                out.writeInt(c);
            }
        }
        out.writeDouble(p.rawLogEvidence());
        for (double w : p.rawLogWeights()) {
            out.writeDouble(w);
        }
        int columns = p.namedColumns().size() + p.addressColumns().size() + (p.resultColumn() != null ? 1 : 0);
        out.writeInt(columns);
        for (Map.Entry<String, ColumnData> e : p.namedColumns().entrySet()) {
            writeColumn(out, SECTION_NAMED, e.getKey(), e.getValue());
        }
        for (Map.Entry<String, ColumnData> e : p.addressColumns().entrySet()) {
            writeColumn(out, SECTION_ADDRESS, e.getKey(), e.getValue());
        }
        if (p.resultColumn() != null) {
            writeColumn(out, SECTION_RESULT, "result", p.resultColumn());
        }
    }

    private static void writeColumn(DataOutputStream out, byte section, String key, ColumnData c) throws IOException {
        out.writeByte(section);
        writeString(out, key);
        out.writeByte(c.kind() == null ? -1 : c.kind().ordinal());
        out.writeLong(c.firstSeen());
        if (c.kind() == null) {
            return;
        }
        if (c.kind().numeric()) {
            for (double d : c.numbers()) {
                out.writeDouble(d);
            }
        } else {
            for (Object o : c.objects()) {
                writeValue(out, o);
            }
        }
    }

    private static void writeValue(DataOutputStream out, Object v) throws IOException {
        if (v == null) {
            out.writeByte(T_NULL);
        } else if (v instanceof Double || v instanceof Float) {
            out.writeByte(T_DOUBLE);
            out.writeDouble(((Number) v).doubleValue());
        } else if (v instanceof Number) {
            out.writeByte(T_LONG);
            out.writeLong(((Number) v).longValue());
        } else if (v instanceof Boolean) {
            out.writeByte(T_BOOLEAN);
            out.writeBoolean((Boolean) v);
        } else if (v instanceof double[]) {
            double[] a = (double[]) v;
            out.writeByte(T_DOUBLES);
            out.writeInt(a.length);
            for (double d : a) {
                out.writeDouble(d);
            }
        } else if (v instanceof long[]) {
            long[] a = (long[]) v;
            out.writeByte(T_LONGS);
            out.writeInt(a.length);
            for (long d : a) {
                out.writeLong(d);
            }
        } else if (v instanceof boolean[]) {
            boolean[] a = (boolean[]) v;
            out.writeByte(T_BOOLEANS);
            out.writeInt(a.length);
            for (boolean d : a) {
                out.writeBoolean(d);
            }
        } else {
            out.writeByte(T_STRING);
            writeString(out, v instanceof String ? (String) v : dev.probe.runtime.distribution.Values.format(v));
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static Posterior read(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "no such posterior file");
        }
        if (!Files.isRegularFile(file)) {
            throw damaged(file, "it is not a regular file");
        }
        CRC32 crc = new CRC32();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
            byte[] magic = new byte[MAGIC.length];
            int got = in.readNBytes(magic, 0, magic.length);
            if (got < magic.length || !Arrays.equals(magic, MAGIC)) {
                throw damaged(file, "it is not a Probe posterior file (it does not start with PROBEPST)");
            }
            int version = in.readInt();
            if (version > 1000 || version < 1) {
                throw damaged(file, "its format version field holds " + version + ", which no Probe writes: the file is damaged");
            }
            if (version > VERSION) {
                throw damaged(file, "it has format version " + version + ", and this Probe reads version "
                        + VERSION + (version > VERSION ? ": upgrade Probe to read it" : ""));
            }
            Posterior p = readBody(in, file, size);
            long expected = crc.getValue();
            long stored = new DataInputStream(raw).readLong();
            if (stored != expected) {
                throw damaged(file, "its checksum does not match its contents: the file is damaged");
            }
            if (raw.read() != -1) {
                throw damaged(file, "it has bytes after the end of the posterior: the file is damaged");
            }
            return p;
        } catch (EOFException e) {
            throw damaged(file, "it ends early (truncated at " + size + " bytes): the file is damaged");
        }
    }

    private static Posterior readBody(DataInputStream in, Path file, long fileSize) throws IOException {
        int metaCount = count(in, file, "provenance entries", 8, fileSize);
        Map<String, String> info = new LinkedHashMap<>();
        for (int i = 0; i < metaCount; i++) {
            info.put(readString(in, file, fileSize), readString(in, file, fileSize));
        }
        int n = count(in, file, "runs", 8, fileSize);
        if ((long) n * 8 > fileSize) {
            throw damaged(file, "it claims " + n + " runs, more than its size can hold: the file is damaged");
        }
        int chainCount = in.readInt();
        int[] chains = null;
        if (chainCount >= 0) {
            if (chainCount > n) {
                throw damaged(file, "it claims more chains than samples: the file is damaged");
            }
            chains = new int[chainCount];
            long sum = 0;
            for (int i = 0; i < chainCount; i++) {
                chains[i] = in.readInt();
                sum += chains[i];
            }
            if (sum != n) {
                throw damaged(file, "its chain lengths do not add up to its samples: the file is damaged");
            }
        } else if (chainCount != -1) {
            throw damaged(file, "it has a negative number of chains: the file is damaged");
        }
        double logEvidence = in.readDouble();
        double[] logWeights = new double[n];
        for (int i = 0; i < n; i++) {
            logWeights[i] = in.readDouble();
        }
        int columns = count(in, file, "columns", 14, fileSize);
        Map<String, ColumnData> named = new LinkedHashMap<>();
        Map<String, ColumnData> byAddress = new LinkedHashMap<>();
        ColumnData result = null;
        for (int c = 0; c < columns; c++) {
            byte section = in.readByte();
            String key = readString(in, file, fileSize);
            int kindOrdinal = in.readByte();
            long firstSeen = in.readLong();
            ColumnData data;
            if (kindOrdinal == -1) {
                data = new ColumnData(n);
            } else if (kindOrdinal < 0 || kindOrdinal >= ValueKind.values().length) {
                throw damaged(file, "column '" + key + "' has an unknown kind " + kindOrdinal + ": the file is damaged");
            } else {
                ValueKind kind = ValueKind.values()[kindOrdinal];
                if (kind.numeric()) {
                    double[] numbers = new double[n];
                    for (int i = 0; i < n; i++) {
                        numbers[i] = in.readDouble();
                    }
                    data = new ColumnData(kind, numbers, null, firstSeen);
                } else {
                    Object[] objects = new Object[n];
                    for (int i = 0; i < n; i++) {
                        objects[i] = readValue(in, file, fileSize);
                    }
                    data = new ColumnData(kind, null, objects, firstSeen);
                }
            }
            switch (section) {
                case SECTION_NAMED:
                    named.put(key, data);
                    break;
                case SECTION_ADDRESS:
                    byAddress.put(key, data);
                    break;
                case SECTION_RESULT:
                    result = data;
                    break;
                default:
                    throw damaged(file, "column '" + key + "' is in an unknown section: the file is damaged");
            }
        }
        return new Posterior(logWeights, named, byAddress, result, logEvidence, chains, info, null);
    }

    private static Object readValue(DataInputStream in, Path file, long fileSize) throws IOException {
        byte t = in.readByte();
        switch (t) {
            case T_NULL:
                return null;
            case T_DOUBLE:
                return in.readDouble();
            case T_LONG:
                return in.readLong();
            case T_BOOLEAN:
                return in.readBoolean();
            case T_STRING:
                return readString(in, file, fileSize);
            case T_DOUBLES: {
                double[] a = new double[count(in, file, "array elements", 8, fileSize)];
                for (int i = 0; i < a.length; i++) {
                    a[i] = in.readDouble();
                }
                return a;
            }
            case T_LONGS: {
                long[] a = new long[count(in, file, "array elements", 8, fileSize)];
                for (int i = 0; i < a.length; i++) {
                    a[i] = in.readLong();
                }
                return a;
            }
            case T_BOOLEANS: {
                boolean[] a = new boolean[count(in, file, "array elements", 1, fileSize)];
                for (int i = 0; i < a.length; i++) {
                    a[i] = in.readBoolean();
                }
                return a;
            }
            default:
                throw damaged(file, "it holds a value of unknown type " + t + ": the file is damaged");
        }
    }

    /**
     * A count read from the file, refused when negative or when {@code n} items of at least
     * {@code bytesEach} bytes could not fit in the file: a damaged count never allocates more than
     * the file's size, so a flipped bit reads as damage rather than as a request for gigabytes.
     */
    private static int count(DataInputStream in, Path file, String what, int bytesEach, long fileSize) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_LENGTH || (long) n * bytesEach > fileSize) {
            throw damaged(file, "it claims " + n + " " + what + ": the file is damaged");
        }
        return n;
    }

    private static String readString(DataInputStream in, Path file, long fileSize) throws IOException {
        int len = count(in, file, "bytes in a string", 1, fileSize);
        byte[] b = in.readNBytes(len);
        if (b.length < len) {
            throw new EOFException();
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    private static ProbeException damaged(Path file, String why) {
        return new PosteriorFormatException("cannot read posterior " + file + ": " + why);
    }
}
