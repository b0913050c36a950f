package dev.probe.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.probe.bridge.v1.BridgeGrpc;
import dev.probe.bridge.v1.Hello;
import dev.probe.bridge.v1.RuntimeMessage;
import dev.probe.bridge.v1.SimulatorMessage;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;

/** Real gRPC connections on loopback: who the bridge lets in. */
@Timeout(60)
class BridgeSecurityTest {

    /** What a client saw: the first reply, or the status the stream ended with. */
    static Object hello(String target, ChannelCredentials credentials, String token) throws InterruptedException {
        ManagedChannel channel = Grpc.newChannelBuilder(target, credentials).build();
        try {
            BridgeGrpc.BridgeStub stub = BridgeGrpc.newStub(channel);
            if (token != null) {
                Metadata m = new Metadata();
                m.put(Metadata.Key.of(BridgeSecurity.TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER), token);
                stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
            }
            LinkedBlockingQueue<Object> got = new LinkedBlockingQueue<>();
            StreamObserver<SimulatorMessage> out = stub.attach(new StreamObserver<>() {
                @Override
                public void onNext(RuntimeMessage m) {
                    got.add(m);
                }

                @Override
                public void onError(Throwable t) {
                    got.add(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    got.add("completed");
                }
            });
            out.onNext(SimulatorMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(BridgeServer.PROTOCOL_VERSION)
                    .setSimulatorName("intruder")).build());
            Object first = got.poll(20, TimeUnit.SECONDS);
            out.onCompleted();
            return first;
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aConnectionWithoutTheTokenOrWithAWrongOneIsRefusedAndCounted() throws Exception {
        BridgeSecurity security = BridgeSecurity.loopback();
        try (BridgeServer server = BridgeServer.start("127.0.0.1", 0, security)) {
            String target = "127.0.0.1:" + server.port();
            for (String token : new String[] {null, "wrong", security.token() + "x"}) {
                Object got = hello(target, InsecureChannelCredentials.create(), token);
                assertTrue(got instanceof Status, "token " + token + " got " + got);
                Status s = (Status) got;
                assertEquals(Status.Code.UNAUTHENTICATED, s.getCode());
                assertTrue(s.getDescription().contains(BridgeSecurity.TOKEN_ENV), s.getDescription());
            }
            assertEquals(3, server.refusedCount());
            assertEquals(0, server.attachedCount());
            Object welcome = hello(target, InsecureChannelCredentials.create(), security.token());
            assertTrue(welcome instanceof RuntimeMessage && ((RuntimeMessage) welcome).hasWelcome(), String.valueOf(welcome));
            assertEquals(1, server.attachedCount());
            assertEquals(3, server.refusedCount());
        }
    }

    @Test
    void aServerBeyondLoopbackNeedsTls() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BridgeServer.start("0.0.0.0", 0, BridgeSecurity.loopback()));
        assertTrue(e.getMessage().contains("--tls-cert"), e.getMessage());
    }

    @Test
    void overTlsTheTokenStillDecides(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        assumeTrue(selfSigned(cert, key), "openssl is needed to make a test certificate");
        BridgeSecurity security = new BridgeSecurity(BridgeSecurity.newToken(), cert, key);
        try (BridgeServer server = BridgeServer.start("127.0.0.1", 0, security)) {
            String target = "localhost:" + server.port();
            ChannelCredentials tls = TlsChannelCredentials.newBuilder().trustManager(cert.toFile()).build();
            Object welcome = hello(target, tls, security.token());
            assertTrue(welcome instanceof RuntimeMessage && ((RuntimeMessage) welcome).hasWelcome(), String.valueOf(welcome));
            Object refused = hello(target, tls, "wrong");
            assertEquals(Status.Code.UNAUTHENTICATED, ((Status) refused).getCode());
            // Plaintext to a TLS server never gets a reply.
            Object plain = hello(target, InsecureChannelCredentials.create(), security.token());
            assertTrue(plain instanceof Status && ((Status) plain).getCode() != Status.Code.OK, String.valueOf(plain));
            assertEquals(1, server.attachedCount());
        }
    }

    /** A self-signed certificate for localhost, by openssl; false when there is no openssl. */
    static boolean selfSigned(Path cert, Path key) throws Exception {
        try {
            Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.toString(), "-out",
                    cert.toString()).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 && Files.size(cert) > 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
