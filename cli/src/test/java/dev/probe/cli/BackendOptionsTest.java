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

    /** The new options are for --backend flink, and say so. */
    @Test
    void clusterOptionsWithoutTheClusterAreUsageErrors() {
        String[] base = {"infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--seed", "1", "--quiet"};
        for (String[] extra : new String[][] {{"--flink-slot-wait", "5"}, {"--network-shared"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(base));
            args.addAll(java.util.List.of(extra));
            String[] r = run(args.toArray(String[]::new));
            assertEquals("2", r[0], r[1]);
            assertTrue(r[1].startsWith("probe: " + extra[0] + " is for --backend flink"), r[1]);
        }
        java.util.List<String> zero = new java.util.ArrayList<>(java.util.List.of(base));
        zero.addAll(java.util.List.of("--backend", "flink", "--flink-slot-wait", "0"));
        String[] r = run(zero.toArray(String[]::new));
        assertEquals("2", r[0], r[1]);
        assertTrue(r[1].startsWith("probe: --flink-slot-wait 0: give a positive number of seconds"), r[1]);
    }

    /**
     * A network's files as they travel with a job: the regular files of the directory, unpacked
     * into a directory and files for this user alone; a name that would leave the directory is refused.
     */
    @Test
    void aPackedDirectoryUnpacksPrivatelyAndOnlyInside(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path net = java.nio.file.Files.createDirectory(dir.resolve("net"));
        java.nio.file.Files.writeString(net.resolve("network.json"), "{}");
        java.nio.file.Files.write(net.resolve("weights.bin"), new byte[] {1, 2, 3});
        java.nio.file.Files.createDirectory(net.resolve("sub"));
        java.util.Map<String, byte[]> packed = Replay.pack(net);
        assertEquals(java.util.List.of("network.json", "weights.bin"), java.util.List.copyOf(packed.keySet()));
        java.nio.file.Path out = Replay.unpack(packed, dir.resolve("out"));
        assertEquals("{}", java.nio.file.Files.readString(out.resolve("network.json")));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(out)));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                java.nio.file.Files.getPosixFilePermissions(out.resolve("weights.bin"))));
        for (String bad : new String[] {"../escape", "..", "a/b"}) {
            java.nio.file.Path to = dir.resolve("bad" + bad.length());
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> Replay.unpack(java.util.Map.of(bad, new byte[0]), to), bad);
        }
        assertTrue(!java.nio.file.Files.exists(dir.resolve("escape")));
    }
}
