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

    /** Every command with --backend says the same when the module is missing, whichever comes first in its work. */
    @Test
    void everyCommandNamesTheMissingBackend(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        for (String[] command : new String[][] {
            {"sample", "builtin:gaussian", "-n", "3"},
            {"calibrate", "builtin:gaussian", "--runs", "20", "--bins", "4", "--draws", "19", "--traces", "10"},
            {"compile", "builtin:gaussian", "--save-dataset", dir.resolve("unwritten").toString(), "--shards", "1", "--traces", "10"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(command));
            args.addAll(java.util.List.of("--seed", "1", "--quiet", "--backend", "flink"));
            String[] r = run(args.toArray(String[]::new));
            assertEquals("2", r[0], command[0] + ": " + r[1]);
            assertTrue(r[1].startsWith("probe: --backend flink: the flink backend is not installed"), command[0] + ": " + r[1]);
        }
    }
}
