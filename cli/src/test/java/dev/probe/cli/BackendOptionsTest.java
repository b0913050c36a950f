package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** --backend without the Flink module on the class path (as the launcher runs a plain command): clear usage errors. */
class BackendOptionsTest {

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(code), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void flinkNotInstalledIsAUsageErrorNamingTheFix() {
        String[] r = run("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "1", "--quiet",
                "--backend", "flink");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].startsWith("probe: --backend flink: the flink backend is not installed"), r[1]);
        assertEquals(1, r[1].strip().lines().count(), r[1]);
    }

    @Test
    void localIsTheDefaultAndExplicit() {
        assertEquals("0", run("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "100", "--seed",
                "1", "--quiet", "--backend", "local")[0]);
    }

    @Test
    void sampleStaysLocal() {
        String[] r = run("sample", "builtin:gaussian", "-n", "3", "--seed", "1", "--backend", "flink");
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].contains("probe sample runs on the local backend only"), r[1]);
    }
}
