package dev.probe.bridge.ppx;

import java.nio.ByteBuffer;
import java.util.function.Function;

import com.google.flatbuffers.FlatBufferBuilder;
import com.google.flatbuffers.Table;

import dev.probe.bridge.ppx.wire.Handshake;
import dev.probe.bridge.ppx.wire.Message;
import dev.probe.bridge.ppx.wire.MessageBody;
import dev.probe.bridge.ppx.wire.ObserveResult;
import dev.probe.bridge.ppx.wire.Run;
import dev.probe.bridge.ppx.wire.SampleResult;
import dev.probe.bridge.ppx.wire.TagResult;
import dev.probe.bridge.ppx.wire.Tensor;
import dev.probe.runtime.distribution.Bernoulli;
import dev.probe.runtime.distribution.BernoulliArray;
import dev.probe.runtime.distribution.Beta;
import dev.probe.runtime.distribution.Binomial;
import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Exponential;
import dev.probe.runtime.distribution.Gamma;
import dev.probe.runtime.distribution.LogNormal;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.NormalArray;
import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.distribution.PoissonArray;
import dev.probe.runtime.distribution.Uniform;
import dev.probe.runtime.distribution.UniformArray;

/**
 * PPX messages (src/main/flatbuffers/ppx.fbs) to and from bytes, and PPX's distributions and float64
 * tensors as the runtime's. Flatbuffers in Java has no verifier: a reply is read defensively, and one
 * that cannot be read is a {@link PpxException} saying so.
 */
final class PpxCodec {

    private PpxCodec() {
    }

    /** A PPX message that cannot be read, or one Probe cannot take (a distribution it lacks). */
    static final class PpxException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PpxException(String message) {
            super(message);
        }
    }

    static byte[] handshake(String systemName) {
        FlatBufferBuilder b = new FlatBufferBuilder(64);
        int name = b.createString(systemName);
        return finish(b, MessageBody.Handshake, Handshake.createHandshake(b, name));
    }

    static byte[] run() {
        FlatBufferBuilder b = new FlatBufferBuilder(32);
        Run.startRun(b);
        return finish(b, MessageBody.Run, Run.endRun(b));
    }

    static byte[] sampleResult(Object value) {
        FlatBufferBuilder b = new FlatBufferBuilder(64);
        int t = tensor(b, value);
        return finish(b, MessageBody.SampleResult, SampleResult.createSampleResult(b, t));
    }

    static byte[] observeResult() {
        FlatBufferBuilder b = new FlatBufferBuilder(32);
        ObserveResult.startObserveResult(b);
        return finish(b, MessageBody.ObserveResult, ObserveResult.endObserveResult(b));
    }

    static byte[] tagResult() {
        FlatBufferBuilder b = new FlatBufferBuilder(32);
        TagResult.startTagResult(b);
        return finish(b, MessageBody.TagResult, TagResult.endTagResult(b));
    }

    private static byte[] finish(FlatBufferBuilder b, byte type, int body) {
        b.finish(Message.createMessage(b, type, body));
        return b.sizedByteArray();
    }

    /** A runtime value (a number, a boolean or an array of them) as a float64 tensor: a scalar has no shape. */
    private static int tensor(FlatBufferBuilder b, Object value) {
        double[] data;
        int[] shape;
        if (value instanceof Number) {
            data = new double[] {((Number) value).doubleValue()};
            shape = new int[0];
        } else if (value instanceof Boolean) {
            data = new double[] {(Boolean) value ? 1 : 0};
            shape = new int[0];
        } else if (value instanceof double[]) {
            data = (double[]) value;
            shape = new int[] {data.length};
        } else if (value instanceof long[]) {
            long[] a = (long[]) value;
            data = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                data[i] = a[i];
            }
            shape = new int[] {data.length};
        } else if (value instanceof boolean[]) {
            boolean[] a = (boolean[]) value;
            data = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                data[i] = a[i] ? 1 : 0;
            }
            shape = new int[] {data.length};
        } else {
            throw new PpxException("cannot send " + value + " as a PPX tensor");
        }
        int d = Tensor.createDataVector(b, data);
        int s = Tensor.createShapeVector(b, shape);
        return Tensor.createTensor(b, d, s);
    }

    /**
     * Reads a reply; its body type is checked here, its fields where they are read.
     *
     * @throws PpxException when the bytes are not a PPX message
     */
    static Message decode(byte[] bytes) {
        try {
            if (bytes.length < 8) {
                throw new IndexOutOfBoundsException();
            }
            Message m = Message.getRootAsMessage(ByteBuffer.wrap(bytes));
            byte type = m.bodyType();
            if (type <= MessageBody.NONE || type > MessageBody.Reset) {
                throw new PpxException("a reply of " + bytes.length + " bytes that is not a PPX message (body type " + type + ")");
            }
            return m;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new PpxException("a reply of " + bytes.length + " bytes that is not a PPX message");
        }
    }

    /** A tensor's values, checked against the message's size (garbage must not allocate gigabytes). */
    static double[] data(Tensor t, int messageBytes, String what) {
        if (t == null) {
            throw new PpxException(what + " is missing");
        }
        int n = t.dataLength();
        if (n < 0 || (long) n * Double.BYTES > messageBytes) {
            throw new PpxException(what + " claims " + n + " values in a message of " + messageBytes + " bytes");
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = t.data(i);
        }
        return out;
    }

    /** A tensor as a runtime value: one number as a Double, more as a flat double[]; null when absent. */
    static Object value(Tensor t, int messageBytes, String what) {
        if (t == null) {
            return null;
        }
        double[] d = data(t, messageBytes, what);
        return d.length == 1 ? (Object) d[0] : d;
    }

    private static double scalar(Tensor t, int bytes, String kind, String param) {
        double[] d = data(t, bytes, kind + " " + param);
        if (d.length != 1) {
            throw new PpxException(kind + " " + param + " must be one number for Probe, got " + d.length);
        }
        return d[0];
    }

    /** Two parameter arrays of one length: a single value is repeated to the other's length. */
    private static double[][] paired(double[] a, double[] b, String kind) {
        if (a.length == b.length) {
            return new double[][] {a, b};
        }
        if (a.length == 1 || b.length == 1) {
            int n = Math.max(a.length, b.length);
            return new double[][] {repeated(a, n), repeated(b, n)};
        }
        throw new PpxException(kind + " parameters of lengths " + a.length + " and " + b.length + " do not pair up");
    }

    private static double[] repeated(double[] a, int n) {
        if (a.length == n) {
            return a;
        }
        double[] out = new double[n];
        java.util.Arrays.fill(out, a[0]);
        return out;
    }

    /** The union's table read through {@code read}; a missing one is an error. */
    private static <T extends Table> T union(Function<Table, Table> read, T table) {
        if (read.apply(table) == null) {
            throw new PpxException("a message's distribution is missing");
        }
        return table;
    }

    /**
     * A PPX distribution (the union's type and table, read through {@code table}) as the runtime's:
     * Normal, Uniform, Poisson and Bernoulli with array parameters are arrays of independent draws.
     */
    static Distribution<?> distribution(byte type, Function<Table, Table> table, int bytes) {
        switch (type) {
            case dev.probe.bridge.ppx.wire.Distribution.Normal: {
                dev.probe.bridge.ppx.wire.Normal d = union(table, new dev.probe.bridge.ppx.wire.Normal());
                double[][] p = paired(data(d.mean(), bytes, "Normal mean"), data(d.stddev(), bytes, "Normal stddev"), "Normal");
                return p[0].length == 1 ? Normal.of(p[0][0], p[1][0]) : NormalArray.of(p[0], p[1]);
            }
            case dev.probe.bridge.ppx.wire.Distribution.Uniform: {
                dev.probe.bridge.ppx.wire.Uniform d = union(table, new dev.probe.bridge.ppx.wire.Uniform());
                double[][] p = paired(data(d.low(), bytes, "Uniform low"), data(d.high(), bytes, "Uniform high"), "Uniform");
                return p[0].length == 1 ? Uniform.of(p[0][0], p[1][0]) : UniformArray.of(p[0], p[1]);
            }
            case dev.probe.bridge.ppx.wire.Distribution.Categorical: {
                dev.probe.bridge.ppx.wire.Categorical d = union(table, new dev.probe.bridge.ppx.wire.Categorical());
                return Categorical.of(data(d.probs(), bytes, "Categorical probs"));
            }
            case dev.probe.bridge.ppx.wire.Distribution.Poisson: {
                dev.probe.bridge.ppx.wire.Poisson d = union(table, new dev.probe.bridge.ppx.wire.Poisson());
                double[] rate = data(d.rate(), bytes, "Poisson rate");
                return rate.length == 1 ? Poisson.of(rate[0]) : PoissonArray.of(rate);
            }
            case dev.probe.bridge.ppx.wire.Distribution.Bernoulli: {
                dev.probe.bridge.ppx.wire.Bernoulli d = union(table, new dev.probe.bridge.ppx.wire.Bernoulli());
                double[] p = data(d.probs(), bytes, "Bernoulli probs");
                return p.length == 1 ? Bernoulli.of(p[0]) : BernoulliArray.of(p);
            }
            case dev.probe.bridge.ppx.wire.Distribution.Beta: {
                dev.probe.bridge.ppx.wire.Beta d = union(table, new dev.probe.bridge.ppx.wire.Beta());
                return Beta.of(scalar(d.concentration1(), bytes, "Beta", "concentration1"),
                        scalar(d.concentration0(), bytes, "Beta", "concentration0"));
            }
            case dev.probe.bridge.ppx.wire.Distribution.Exponential: {
                dev.probe.bridge.ppx.wire.Exponential d = union(table, new dev.probe.bridge.ppx.wire.Exponential());
                return Exponential.of(scalar(d.rate(), bytes, "Exponential", "rate"));
            }
            case dev.probe.bridge.ppx.wire.Distribution.Gamma: {
                dev.probe.bridge.ppx.wire.Gamma d = union(table, new dev.probe.bridge.ppx.wire.Gamma());
                return Gamma.of(scalar(d.concentration(), bytes, "Gamma", "concentration"), scalar(d.rate(), bytes, "Gamma", "rate"));
            }
            case dev.probe.bridge.ppx.wire.Distribution.LogNormal: {
                dev.probe.bridge.ppx.wire.LogNormal d = union(table, new dev.probe.bridge.ppx.wire.LogNormal());
                return LogNormal.of(scalar(d.loc(), bytes, "LogNormal", "loc"), scalar(d.scale(), bytes, "LogNormal", "scale"));
            }
            case dev.probe.bridge.ppx.wire.Distribution.Binomial: {
                dev.probe.bridge.ppx.wire.Binomial d = union(table, new dev.probe.bridge.ppx.wire.Binomial());
                double n = scalar(d.totalCount(), bytes, "Binomial", "total_count");
                if (n != Math.rint(n) || n < 0) {
                    throw new PpxException("Binomial total_count must be a whole number, got " + n);
                }
                return Binomial.of((long) n, scalar(d.probs(), bytes, "Binomial", "probs"));
            }
            case dev.probe.bridge.ppx.wire.Distribution.Weibull:
                throw new PpxException("PPX's Weibull is not among Probe's distributions (" + String.join(", ", SUPPORTED) + ")");
            default:
                throw new PpxException("an unknown PPX distribution type " + type);
        }
    }

    /** PPX's distributions that Probe takes. */
    static final java.util.List<String> SUPPORTED = java.util.List.of("Normal", "Uniform", "Categorical", "Poisson", "Bernoulli",
            "Beta", "Exponential", "Gamma", "LogNormal", "Binomial");
}
