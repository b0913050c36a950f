package dev.probe.language;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.probe.runtime.model.Model;
import dev.probe.runtime.model.ModelSource;

/**
 * Loads {@code FILE.ppl} scripts. The limits {@code max-steps} and {@code max-depth} come in the
 * parameters map under the keys {@link #MAX_STEPS} and {@link #MAX_DEPTH}.
 */
public final class ScriptSource implements ModelSource {

    /** The parameters key for the step limit (no script's param can have it: it is no identifier). */
    public static final String MAX_STEPS = "probe.maxSteps";
    /** The parameters key for the depth limit (no script's param can have it: it is no identifier). */
    public static final String MAX_DEPTH = "probe.maxDepth";

    @Override
    public boolean accepts(String spec) {
        return spec.endsWith(".ppl");
    }

    @Override
    public Model load(String spec, Map<String, Object> parameters) {
        Path path = Path.of(spec);
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("no such script: " + spec);
        }
        Script script;
        try {
            script = Script.load(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such script: " + spec, e);
        } catch (java.nio.charset.CharacterCodingException | java.nio.file.AccessDeniedException e) {
            throw new IllegalArgumentException("cannot read " + spec + ": " + (e instanceof java.nio.file.AccessDeniedException
                    ? "permission denied" : e.getMessage()), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + spec + ": " + e.getMessage(), e);
        }
        Map<String, Object> params = new LinkedHashMap<>(parameters);
        Object steps = params.remove(MAX_STEPS);
        Object depth = params.remove(MAX_DEPTH);
        return script.model(params, steps == null ? Script.DEFAULT_MAX_STEPS : ((Number) steps).longValue(),
                depth == null ? Script.DEFAULT_MAX_DEPTH : ((Number) depth).intValue());
    }

    @Override
    public String describe() {
        return "FILE.ppl for a model script (docs/language.md)";
    }
}
