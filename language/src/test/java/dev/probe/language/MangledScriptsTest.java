package dev.probe.language;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.ModelException;

/**
 * Feeds thousands of mangled scripts (characters deleted, tokens inserted, lines repeated, made
 * from the model scripts) to the parser, the checker and the interpreter, and asserts that each
 * ends in a clear error of the language (a ScriptException or a ModelException with a message) or
 * in a result: never another exception, a hang or a stack overflow. The seed is fixed.
 */
class MangledScriptsTest {

    private static final String[] TOKENS = {"{", "}", "(", ")", "[", "]", ";", ",", "let ", "fn ", "return ", "if ",
        "while ", "for ", " in ", "..", "**", "=", "==", "\"", "x", "1", "2.5", "-", "!", "&&", "sample(", "observe(",
        "Normal(", "name: ", "break;", "continue;", "param ", "/*", "*/", "//", "\n", "true", "[]", "zeros(3)", "f(", "."};

    @Test
    void mangledScriptsEndInAClearErrorOrAResult() throws IOException {
        List<String> seeds = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("..", "models", "scripts"))) {
            files.filter(p -> p.toString().endsWith(".ppl")).sorted().forEach(p -> {
                try {
                    seeds.add(Files.readString(p));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        assertTrue(seeds.size() >= 6, "the model scripts are missing: " + seeds.size());
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(20261122L, 1L);
        int parsed = 0;
        int ran = 0;
        for (int i = 0; i < 2000; i++) {
            String text = mangle(seeds.get(rng.nextInt(seeds.size())), rng, 1 + rng.nextInt(3));
            try {
                Script s = Script.parse(SourceText.of("mangled.ppl", text));
                parsed++;
                Inference.prior(s.model(Map.of(), 20_000, 60)).traces(2).seed(i).threads(1).run();
                ran++;
            } catch (ModelException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "an error without a message for:\n" + text);
            } catch (RuntimeException | StackOverflowError e) {
                fail("mangled script " + i + " ended in " + e + " instead of a clear error:\n" + text, e);
            }
        }
        // The mutants must exercise the checker and the interpreter, not just the parser.
        assertTrue(parsed > 200, "only " + parsed + " mutants parsed");
        assertTrue(ran > 50, "only " + ran + " mutants ran");
    }

    private static String mangle(String text, UniformRandomProvider rng, int edits) {
        StringBuilder sb = new StringBuilder(text);
        for (int e = 0; e < edits; e++) {
            int at = rng.nextInt(sb.length() + 1);
            switch (rng.nextInt(4)) {
                case 0:
                    sb.delete(at, Math.min(sb.length(), at + 1 + rng.nextInt(6)));
                    break;
                case 1:
                    sb.insert(at, TOKENS[rng.nextInt(TOKENS.length)]);
                    break;
                case 2: {
                    String[] lines = sb.toString().split("\n", -1);
                    int k = rng.nextInt(lines.length);
                    sb.insert(Math.min(at, sb.length()), lines[k] + "\n");
                    break;
                }
                default:
                    if (at + 1 < sb.length()) {
                        char c = sb.charAt(at);
                        sb.setCharAt(at, sb.charAt(at + 1));
                        sb.setCharAt(at + 1, c);
                    }
            }
        }
        return sb.toString();
    }
}
