package dev.probe.bridge;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Who may join an inference over the bridge: every connection presents a per-inference secret
 * token as the gRPC metadata {@value #TOKEN_HEADER}; simulators Probe starts find it in the
 * environment variable {@value #TOKEN_ENV}. A server bound to an address other than loopback must
 * also use TLS (a certificate and its private key, PEM files), so that the token and the runs
 * cannot be read or altered on the network. See docs/bridge.md for the threat model.
 *
 * @param token   the secret every connection must present
 * @param tlsCert the server's certificate chain (PEM), or null for plaintext on loopback
 * @param tlsKey  its private key (PEM, PKCS#8), or null
 */
public record BridgeSecurity(String token, Path tlsCert, Path tlsKey) {

    /** The gRPC metadata key that carries the token. */
    public static final String TOKEN_HEADER = "probe-token";
    /** The environment variable a simulator reads the token from. */
    public static final String TOKEN_ENV = "PROBE_BRIDGE_TOKEN";
    /** The environment variable naming the CA certificate (PEM) clients trust for TLS. */
    public static final String TLS_CA_ENV = "PROBE_BRIDGE_TLS_CA";

    private static final SecureRandom RANDOM = new SecureRandom();

    public BridgeSecurity {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the bridge token must not be empty");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("TLS needs both a certificate and its key: give --tls-cert and --tls-key together");
        }
    }

    /** A fresh random token (256 bits, hex) and no TLS: for a server on loopback. */
    public static BridgeSecurity loopback() {
        return new BridgeSecurity(newToken(), null, null);
    }

    /** 256 random bits as 64 hex digits. */
    public static String newToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Whether connections are encrypted. */
    public boolean tls() {
        return tlsCert != null;
    }

    /** Whether {@code presented} is the token, compared in time independent of where they differ. */
    boolean accepts(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Refuses to serve {@code host} without TLS unless every address it names is loopback.
     *
     * @throws IllegalArgumentException naming the fix
     */
    public void checkBind(String host) {
        if (tls()) {
            return;
        }
        boolean loopback;
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            loopback = all.length > 0;
            for (InetAddress a : all) {
                loopback &= a.isLoopbackAddress();
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host '" + host + "'");
        }
        if (!loopback) {
            throw new IllegalArgumentException("serving " + host + " reaches beyond this machine and needs TLS: give --tls-cert FILE"
                    + " and --tls-key FILE (PEM), or bind 127.0.0.1");
        }
    }
}
