package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.probe.runtime.posterior.Posterior;

/** Where results go is checked before the work, and a finished result is never thrown away. */
class OutputPathTest {

    @TempDir
    Path dir;

    /** A run long enough that checking after it would show: 2,000,000 traces take seconds, the check none. */
    private static CliTest.Result inferSavingTo(String save) {
        return CliTest.probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces", "2000000",
                "--seed", "1", "--quiet", "--save", save);
    }

    private static void assertRefusedAtOnce(CliTest.Result r, long nanos, String fragment) {
        assertEquals(ExitCode.USAGE, r.code(), r.err());
        assertTrue(r.err().startsWith("probe: --save "), r.err());
        assertTrue(r.err().contains(fragment), "expected '" + fragment + "' in: " + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("internal error"), r.err());
        assertEquals("", r.out());
        assertTrue(nanos < 1_500_000_000L, "refused before the work, not after it: " + nanos / 1e9 + " s");
    }

    @Test
    void aSavePathThatCannotBeWrittenIsRefusedBeforeTheInference() throws Exception {
        Files.writeString(dir.resolve("plain"), "x");
        Files.createDirectory(dir.resolve("sub"));
        String[][] cases = {
            {"/", "names no file"},
            {dir.resolve("plain").resolve("post.probe").toString(), "is a file, not a directory"},
            {dir.resolve("sub").toString(), "is a directory"},
            {"/dev/null", "a device or other special file"},
        };
        for (String[] c : cases) {
            long t0 = System.nanoTime();
            CliTest.Result r = inferSavingTo(c[0]);
            assertRefusedAtOnce(r, System.nanoTime() - t0, c[1]);
        }
        assertEquals("x", Files.readString(dir.resolve("plain")));
        assertTrue(Files.isDirectory(dir.resolve("sub")));
    }

    @Test
    void aSaveIntoAMissingDirectoryMakesItAndTheFileLoads() throws Exception {
        Path target = dir.resolve("new").resolve("deeper").resolve("post.probe");
        CliTest.Result r = CliTest.probe("infer", "builtin:gaussian", "--observe", "obs0=8", "--observe", "obs1=9", "--traces",
                "2000", "--seed", "1", "--quiet", "--save", target.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2000, Posterior.load(target).size());
    }
}
