package dev.probe.language;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.ModelException;

/** Runs every example of docs/language.md: ppl blocks must run, ppl-error blocks must fail with a clear error. */
class LanguageDocTest {

    private static List<String[]> blocks() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("..", "docs", "language.md"));
        List<String[]> out = new ArrayList<>();
        String kind = null;
        StringBuilder body = new StringBuilder();
        for (String line : lines) {
            if (kind == null && (line.equals("```ppl") || line.equals("```ppl-error"))) {
                kind = line.substring(3);
                body.setLength(0);
            } else if (kind != null && line.equals("```")) {
                out.add(new String[] {kind, body.toString()});
                kind = null;
            } else if (kind != null) {
                body.append(line).append('\n');
            }
        }
        return out;
    }

    @Test
    void everyExampleRunsAsDocumented() throws IOException {
        List<String[]> blocks = blocks();
        assertTrue(blocks.size() >= 8, "examples found: " + blocks.size());
        int errors = 0;
        for (String[] b : blocks) {
            SourceText src = SourceText.of("example.ppl", b[1]);
            if (b[0].equals("ppl")) {
                // Prior sampling simulates every observation the example names.
                Inference.prior(Script.parse(src).model()).traces(20).seed(1).threads(1).run();
            } else {
                ModelException e = assertThrows(ModelException.class,
                        () -> Inference.prior(Script.parse(src).model()).traces(1).seed(1).threads(1).run(), b[1]);
                assertTrue(e.getMessage().startsWith("example.ppl:"), e.getMessage());
                errors++;
            }
        }
        assertEquals(2, errors);
    }
}
