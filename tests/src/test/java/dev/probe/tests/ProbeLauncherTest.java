package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher ./probe in a checkout that has never been built: its first run builds quietly (no
 * Maven output, no terminal escapes before the command's own output) and shows Maven's output
 * only when the build fails; and the garbage collector it chooses. Maven, Java and nproc are
 * stand-ins here, so nothing is installed.
 */
class ProbeLauncherTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/usr/bin/env bash\n" + body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Runs a copy of ./probe in a fresh checkout whose mvn does {@code mvnBody}. */
    private Run firstRun(String mvnBody) throws Exception {
        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Files.copy(Path.of("..", "probe"), checkout.resolve("probe"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        // Maven 3.8's jansi writes ESC[0m to both streams even with -B -q -Dstyle.color=never.
        script(bin.resolve("mvn"), mvnBody);
        script(bin.resolve("java"), "echo \"| mu | 7.25 |\"\n");
        return launch(checkout, bin, "");
    }

    /** {@code probe infer builtin:gaussian} from {@code checkout}, {@code bin}'s stand-ins first on the PATH. */
    private Run launch(Path checkout, Path bin, String javaOptions) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", checkout.resolve("probe").toString(), "infer", "builtin:gaussian")
                .directory(checkout.toFile());
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("PROBE_JAVA_OPTS", javaOptions);
        pb.redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the launcher hangs");
        return new Run(p.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    @Test
    void theFirstRunBuildsQuietlyAndPrintsOnlyTheCommandsOutput() throws Exception {
        Run r = firstRun("printf '\\033[0m\\033[0m'; printf '\\033[0m' >&2\n"
                + "mkdir -p cli/target/lib && touch cli/target/probe-cli.jar\n");
        assertEquals(0, r.code(), r.err());
        assertEquals("| mu | 7.25 |\n", r.out());
        assertEquals("probe: building Probe (first run; this takes a minute)...\n", r.err());
    }

    /**
     * The collector the launcher asks Java for, with {@code processors} processors and
     * {@code javaOptions} in PROBE_JAVA_OPTS: the java it starts is a stand-in that prints its
     * options, in a checkout that looks built.
     */
    private String javaOptions(int processors, String javaOptions) throws Exception {
        Path checkout = Files.createDirectories(dir.resolve("built"));
        Files.copy(Path.of("..", "probe"), checkout.resolve("probe"), StandardCopyOption.REPLACE_EXISTING);
        Files.createDirectories(checkout.resolve("cli/target/lib"));
        Files.writeString(checkout.resolve("cli/target/probe-cli.jar"), "");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("java"), "echo \"$@\"\n");
        script(bin.resolve("nproc"), "echo " + processors + "\n");
        Run r = launch(checkout, bin, javaOptions);
        assertEquals(0, r.code(), r.err());
        return r.out();
    }

    @Test
    void twoProcessorsGetTheSerialCollectorUnlessTheUserNamesOne() throws Exception {
        assertTrue(javaOptions(2, "").contains("-XX:+UseSerialGC"));
        assertTrue(javaOptions(1, "-Xmx2g").contains("-XX:+UseSerialGC"));
        // More processors: the JVM chooses. A collector of the user's: theirs alone (two would
        // stop Java with "multiple garbage collectors selected").
        assertFalse(javaOptions(8, "").contains("GC"));
        String own = javaOptions(2, "-XX:+UseG1GC");
        assertTrue(own.contains("-XX:+UseG1GC") && !own.contains("Serial"), own);
        // Options that merely start with Use or end with GC are not collectors.
        assertTrue(javaOptions(2, "-XX:+UseCompressedOops -XX:+DisableExplicitGC").contains("-XX:+UseSerialGC"));
    }

    @Test
    void aFailedBuildShowsMavensOutputWithoutEscapes() throws Exception {
        Run r = firstRun("printf '\\033[1;31m[ERROR]\\033[m COMPILATION ERROR: Foo.java:[3,4] cannot find symbol\\n'; exit 1\n");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().contains("[ERROR] COMPILATION ERROR: Foo.java:[3,4] cannot find symbol"), r.err());
        assertTrue(r.err().contains("probe: the build failed"), r.err());
        assertFalse(r.err().contains("\u001b"), r.err());
    }
}
