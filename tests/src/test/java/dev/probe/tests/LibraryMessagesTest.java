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
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The libraries speak their API's language: no string in the main code of the runtime, the
 * language, the compiler, the proposals, the bridges or the models names a command-line flag.
 * They throw structured exceptions; the CLI (cli/FlagAdvice) turns them into flag advice.
 */
class LibraryMessagesTest {

    /**
     * Engine plug-ins read the command line's options by their flag names (EngineArguments, from the
     * engines work merged from main), so their option keys and messages are flags by design; left to
     * that API's owner.
     */
    private static final List<String> ENGINE_OPTIONS = List.of("BuiltinEngines.java", "EngineArguments.java",
            // The bridge's TLS and token advice (merged from main) still names flags: to be made structured.
            "BridgeSecurity.java", "BridgeServer.java");
    private static final List<String> LIBRARIES = List.of("runtime", "language", "compiler", "proposals", "bridges", "models");
    /** A string literal holding a long option, such as "give one with --observe". */
    private static final Pattern FLAG = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*?(?<![\\w-])--[a-z][\\w-]*(?:[^\"\\\\]|\\\\.)*\"");

    @Test
    void noLibraryStringNamesAFlag() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (String module : LIBRARIES) {
            Path root = Path.of("..", module, "src", "main", "java");
            try (Stream<Path> all = Files.walk(root)) {
                for (Path f : (Iterable<Path>) all.filter(p -> p.toString().endsWith(".java") && !ENGINE_OPTIONS.contains(
                        p.getFileName().toString()))::iterator) {
                    files++;
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).strip();
                        if (line.startsWith("*") || line.startsWith("//") || line.startsWith("/*")) {
                            continue;
                        }
                        Matcher m = FLAG.matcher(line);
                        if (m.find()) {
                            found.add(root.relativize(f) + ":" + (i + 1) + ": " + m.group());
                        }
                    }
                }
            }
        }
        assertTrue(files > 100, "library sources read: " + files);
        assertEquals(List.of(), found);
    }
}
