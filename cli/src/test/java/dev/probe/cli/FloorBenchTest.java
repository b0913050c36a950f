package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@code probe bench}'s floor is measured in a JVM of its own whose heap is fixed and touched
 * before the work starts, so that no user needs to give JVM options for a sound figure. Nothing
 * here is timed or started.
 */
class FloorBenchTest {

    @Test
    void theChildJvmHasAFixedPreTouchedHeapAndThisJvmsJavaAndClassPath() {
        List<String> c = FloorBench.childCommand(1.0, 3);
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), c.get(0), c.toString());
        assertTrue(c.contains("-Xms" + FloorBench.HEAP) && c.contains("-Xmx" + FloorBench.HEAP), c.toString());
        assertTrue(c.contains("-XX:+AlwaysPreTouch"), c.toString());
        int cp = c.indexOf("-cp");
        assertEquals(System.getProperty("java.class.path"), c.get(cp + 1), c.toString());
        assertEquals(List.of(FloorBench.class.getName(), "1.0", "3"), c.subList(cp + 2, c.size()), c.toString());
    }
}
