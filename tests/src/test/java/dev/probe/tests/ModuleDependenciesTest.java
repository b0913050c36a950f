package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The libraries leave PyTorch's natives to the application: only cli/ ships them, the others use them in tests. */
class ModuleDependenciesTest {

    private static final List<String> LIBRARIES = List.of("runtime", "language", "models", "bridges", "proposals", "compiler", "planing",
            "diagnostics", "engines");
    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);
    private static final Pattern NATIVE = Pattern.compile("<artifactId>(pytorch-jni|pytorch-native-[\\w-]+)</artifactId>");

    private static List<String> nativesOutsideTests(String module) throws IOException {
        String pom = Files.readString(Path.of("..", module, "pom.xml"));
        List<String> found = new ArrayList<>();
        Matcher d = DEPENDENCY.matcher(pom);
        while (d.find()) {
            Matcher n = NATIVE.matcher(d.group(1));
            if (n.find() && !d.group(1).contains("<scope>test</scope>")) {
                found.add(module + ": " + n.group(1));
            }
        }
        return found;
    }

    @Test
    void noLibraryShipsPyTorchNatives() throws IOException {
        List<String> found = new ArrayList<>();
        for (String module : LIBRARIES) {
            found.addAll(nativesOutsideTests(module));
        }
        assertEquals(List.of(), found);
    }

    @Test
    void theCommandShipsThem() throws IOException {
        assertEquals(List.of("cli: pytorch-jni", "cli: pytorch-native-cpu"), nativesOutsideTests("cli"));
        assertTrue(Files.readString(Path.of("..", "proposals", "pom.xml")).contains("<artifactId>api</artifactId>"));
    }
}
