package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The tests' child processes (cmake, flatc, Python, simulators, the command): their output goes to a
 * file, so that no pipe can fill and stall a child while the test waits for it, and every wait has a
 * deadline, after which the child is killed and the test fails with what the child said: a child
 * that hangs fails its test instead of hanging the build.
 */
final class Processes {

    private Processes() {
    }

    /** What a finished child said (standard output and error together, unless the builder split them) and its exit code. */
    record Finished(int code, String output) {
    }

    /** Runs {@code builder}'s command to its end, its errors merged into its output. */
    static Finished run(ProcessBuilder builder, long seconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile("probe-test-child", ".txt");
        Process p = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        return await(p, log, seconds, String.join(" ", builder.command()));
    }

    /**
     * Waits for {@code p}, started with its standard output redirected to {@code log}, and reads
     * the log (then deletes it); kills the child and fails the test after {@code seconds}.
     */
    static Finished await(Process p, Path log, long seconds, String what) throws IOException, InterruptedException {
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(what + " did not finish in " + seconds + " s; it said:\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Finished(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
