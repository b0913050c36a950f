package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The C++ side's Debian packages are listed once (scripts/cpp-deps.sh), and README and
 * docs/bridge.md name them and the script where they first run cmake, not only under the tests.
 */
class CppSetupDocsTest {

    private static String packages() throws Exception {
        Process p = new ProcessBuilder("bash", Path.of("..", "scripts", "cpp-deps.sh").toString(), "--list").start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    }

    @Test
    void theDocsNameThePackagesBeforeTheFirstCmake() throws Exception {
        String debs = packages();
        assertTrue(debs.contains("libgrpc++-dev") && debs.contains("cmake"), debs);
        for (String doc : List.of("README.md", "docs/bridge.md")) {
            String text = Files.readString(Path.of("..").resolve(doc));
            int cmake = text.indexOf("cmake -S models/cpp");
            assertTrue(cmake > 0, doc + " shows how to build the C++ simulators");
            String before = text.substring(0, cmake);
            assertTrue(before.contains("`" + debs + "`"), doc + " should name the packages before its first cmake: " + debs);
            assertTrue(before.contains("scripts/cpp-deps.sh"), doc + " should point at scripts/cpp-deps.sh before its first cmake");
        }
    }

    @Test
    void theTestScriptInstallsThemThroughTheSameScript() throws Exception {
        String test = Files.readString(Path.of("..", "scripts", "test.sh"));
        assertTrue(test.contains("scripts/cpp-deps.sh"), test);
        assertTrue(!test.contains("libgrpc++-dev"), "scripts/test.sh keeps a list of its own");
    }
}
