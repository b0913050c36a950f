package dev.probe.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** How many runs at once a simulator's Hello asks for ("concurrent-runs:N"), and how a bad count is refused. */
class HelloCapabilitiesTest {

    @Test
    void aSimulatorThatSaysNothingServesOneRunAtATime() {
        assertEquals(1, BridgeServer.concurrentRuns(List.of("self-draw", "runs-in-flight", "batch")));
        assertEquals(1, BridgeServer.concurrentRuns(List.of()));
    }

    @Test
    void concurrentRunsGivesTheCountUpToTheRuntimesLimit() {
        assertEquals(4, BridgeServer.concurrentRuns(List.of("batch", "concurrent-runs:4")));
        assertEquals(BridgeServer.MAX_CONCURRENT_RUNS, BridgeServer.concurrentRuns(List.of("concurrent-runs:100000")));
    }

    @Test
    void aCountThatIsNotAPositiveWholeNumberIsNamed() {
        for (String bad : List.of("concurrent-runs:0", "concurrent-runs:-2", "concurrent-runs:four", "concurrent-runs:",
                "concurrent-runs:+3", "concurrent-runs:99999999999")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BridgeServer.concurrentRuns(List.of(bad)));
            assertTrue(e.getMessage().contains(bad) && e.getMessage().contains("concurrent-runs:4"), e.getMessage());
        }
    }
}
