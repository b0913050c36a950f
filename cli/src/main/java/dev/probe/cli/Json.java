package dev.probe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** JSON in and out: option values, observation files, machine-readable output. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    /**
     * A value from the command line: a number, {@code true}/{@code false}, or a JSON array.
     *
     * @param where the option and name, for the message
     */
    static Object parseValue(String text, String where) {
        Object v;
        try {
            v = MAPPER.readValue(text.trim(), Object.class);
        } catch (JsonProcessingException e) {
            throw new UsageException(where + ": '" + text + "' is not a number, true/false or a JSON array such as [1, 2.5]");
        }
        if (!(v instanceof Number || v instanceof Boolean || v instanceof List)) {
            throw new UsageException(where + ": '" + text + "' is not a number, true/false or a JSON array such as [1, 2.5]");
        }
        return v;
    }

    /**
     * A text file, whole, as UTF-8.
     *
     * @throws UsageException naming the option and the file when it is missing, not a regular file,
     *                        unreadable or not UTF-8
     */
    static String readText(Path file, String option) {
        if (Files.isDirectory(file)) {
            throw new UsageException(option + ": " + file + " is a directory; give a file");
        }
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UsageException(option + ": no such file " + file);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new UsageException(option + ": " + file + " is not UTF-8 text");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new UsageException(option + ": cannot read " + file + ": permission denied");
        } catch (IOException e) {
            throw new UsageException(option + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    /** A JSON object of name to value from a file. */
    static Map<String, Object> readObject(Path file, String option) {
        String text = readText(file, option);
        Object v;
        try {
            v = MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new UsageException(option + ": " + file + " is not valid JSON (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + "): " + e.getOriginalMessage());
        }
        if (!(v instanceof Map)) {
            throw new UsageException(option + ": " + file + " must hold a JSON object such as {\"obs0\": 8, \"obs1\": 9}");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            Object value = e.getValue();
            if (!(value instanceof Number || value instanceof Boolean || value instanceof List)) {
                throw new UsageException(option + ": in " + file + ", \"" + e.getKey()
                        + "\" must be a number, true/false or an array");
            }
            out.put((String) e.getKey(), value);
        }
        return out;
    }
}
