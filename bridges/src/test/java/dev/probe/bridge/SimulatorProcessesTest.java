package dev.probe.bridge;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.probe.runtime.SimulatorException;

/** Real processes: what a simulator command starts ends with the inference, however it ends. */
@Timeout(60)
class SimulatorProcessesTest {

    @TempDir
    Path dir;

    /** Waits (up to 10 s) for {@code file} to hold a pid and returns it. */
    static long pidIn(Path file) throws Exception {
        for (int i = 0; i < 500; i++) {
            if (Files.exists(file)) {
                String s = Files.readString(file).strip();
                if (!s.isEmpty()) {
                    return Long.parseLong(s);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no pid in " + file);
    }

    /** Whether {@code pid} is gone within 10 s. */
    static boolean gone(long pid) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty() || !h.get().isAlive()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Test
    void aSimulatorThatNeverAttachesLeavesNothingRunning() throws Exception {
        Path pids = dir.resolve("pids");
        // The command leaves a child behind and exits before attaching: the child must not outlive the failure.
        String command = "sleep 300 & echo $! > " + pids + "; exit 3";
        SimulatorException e = assertThrows(SimulatorException.class, () -> SimulatorLauncher.start(command, 1));
        assertTrue(e.getMessage().contains("did not attach"), e.getMessage());
        long child = pidIn(pids);
        assertTrue(gone(child), "the simulator's child " + child + " still runs");
    }

    @Test
    void aSimulatorThatStallsBeforeAttachingIsEndedWithEverythingItStarted() throws Exception {
        Path ready = dir.resolve("ready");
        // Never attaches and never exits; its own child starts a grandchild that a kill of sh alone would orphan.
        String command = "sh -c 'sleep 300 & echo $! > " + ready + "; wait'";
        SimulatorException e = assertThrows(SimulatorException.class, () -> SimulatorLauncher.start(command, 2, 3_000));
        assertTrue(e.getMessage().contains("0 of 2"), e.getMessage());
        assertTrue(gone(pidIn(ready)), "a grandchild of the simulator command still runs");
    }
}
