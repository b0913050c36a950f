package dev.probe.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.probe.bridge.v1.BridgeGrpc;
import dev.probe.bridge.v1.Distribution;
import dev.probe.bridge.v1.Hello;
import dev.probe.bridge.v1.RunResult;
import dev.probe.bridge.v1.RuntimeMessage;
import dev.probe.bridge.v1.Sample;
import dev.probe.bridge.v1.SimulatorMessage;
import dev.probe.bridge.v1.Tag;
import dev.probe.bridge.v1.Tensor;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.posterior.Posterior;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;

/** Real gRPC streams on loopback: what the bridge accepts in size, and how it refuses more. */
@Timeout(120)
class BridgeLimitsTest {

    /**
     * A simulator in this JVM that answers each run with a sample of mu, a tag {@code image} of
     * {@code tagValues} doubles, and a result; it stays until the runtime closes its stream.
     */
    static ManagedChannel fakeSimulator(BridgeServer server, int tagValues) {
        ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + server.port(), InsecureChannelCredentials.create())
                .maxInboundMessageSize(BridgeServer.MAX_MESSAGE_BYTES).build();
        Metadata m = new Metadata();
        m.put(Metadata.Key.of(BridgeSecurity.TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER), server.security().token());
        BridgeGrpc.BridgeStub stub = BridgeGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
        Tensor.Builder image = Tensor.newBuilder().setDtype(Tensor.DType.FLOAT64).addShape(tagValues);
        for (int i = 0; i < tagValues; i++) {
            image.addF64(i);
        }
        Tensor big = image.build();
        StreamObserver<SimulatorMessage>[] out = new StreamObserver[1];
        out[0] = stub.attach(new StreamObserver<RuntimeMessage>() {
            @Override
            public void onNext(RuntimeMessage r) {
                if (!r.hasStart()) {
                    return;
                }
                long run = r.getStart().getRunId();
                Tensor zero = Tensor.newBuilder().setDtype(Tensor.DType.FLOAT64).addF64(0).build();
                Tensor one = Tensor.newBuilder().setDtype(Tensor.DType.FLOAT64).addF64(1).build();
                out[0].onNext(SimulatorMessage.newBuilder().setSample(Sample.newBuilder().setRunId(run).setName("mu")
                        .setDistribution(Distribution.newBuilder().setKind("Normal").addParams(zero).addParams(one))).build());
                out[0].onNext(SimulatorMessage.newBuilder().setTag(Tag.newBuilder().setRunId(run).setName("image").setValue(big))
                        .build());
                out[0].onNext(SimulatorMessage.newBuilder().setResult(RunResult.newBuilder().setRunId(run)).build());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                out[0].onCompleted();
            }
        });
        out[0].onNext(SimulatorMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(BridgeServer.PROTOCOL_VERSION)
                .setSimulatorName("fake").setSimulatorVersion("1")).build());
        return channel;
    }

    @Test
    void aDetectorImageOfAFewMegabytesPasses() throws Exception {
        try (BridgeServer server = BridgeServer.start("127.0.0.1", 0, BridgeSecurity.loopback())) {
            ManagedChannel ch = fakeSimulator(server, 750_000); // 6 MB of float64, over gRPC's default 4 MiB
            try {
                server.awaitAttached(1, 20_000, () -> false);
                Posterior p = Inference.prior(new SimulatorModel(server, 20_000, "fake")).traces(3).threads(1).seed(1).run();
                assertEquals(3, p.size());
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void anOversizedMessageIsAOneLineProtocolErrorAtOnce() throws Exception {
        try (BridgeServer server = BridgeServer.start("127.0.0.1", 0, BridgeSecurity.loopback())) {
            ManagedChannel ch = fakeSimulator(server, 9_000_000); // 72 MB, over the 64 MiB limit
            try {
                server.awaitAttached(1, 20_000, () -> false);
                long t0 = System.nanoTime();
                // A deadline of 60 s: the failure must come from the size, not from the deadline.
                SimulatorException e = assertThrows(SimulatorException.class,
                        () -> Inference.prior(new SimulatorModel(server, 60_000, "fake")).traces(3).threads(1).seed(1).run());
                assertTrue(e.getMessage().contains("64 MiB") && !e.getMessage().contains("\n"), e.getMessage());
                assertTrue(System.nanoTime() - t0 < 30e9, "at once, not after a deadline");
            } finally {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }
}
