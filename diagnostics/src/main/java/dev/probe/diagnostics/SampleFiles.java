package dev.probe.diagnostics;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.runtime.posterior.Posterior;

/**
 * Draws in and out as text: CSV (one header row, one row per draw) or JSON lines (one object per
 * draw). Each draw has {@code run} (its index), {@code weight} (normalised), {@code log_weight},
 * for Markov chains {@code chain} and {@code draw} (index within the chain), then every named
 * variable: numbers, {@code true}/{@code false}, or a JSON array for vector values; empty (CSV) or
 * left out (JSON lines) where the draw does not hold it. See docs/cli.md, {@code probe export}.
 */
public final class SampleFiles {

    /** The columns every export starts with; a variable of one of these names is written {@code var:NAME} in CSV. */
    private static final List<String> RESERVED = List.of("run", "weight", "log_weight", "chain", "draw");

    private static final String PREFIX = "var:";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The export formats. */
    public enum Format {
        CSV, JSONL;

        /** The format named on the command line ({@code csv} or {@code jsonl}). */
        public static Format named(String name) {
            switch (name) {
                case "csv":
                    return CSV;
                case "jsonl":
                    return JSONL;
                default:
                    throw new IllegalArgumentException("unknown format '" + name + "'; choose csv or jsonl");
            }
        }
    }

    private SampleFiles() {
    }

    /** Writes every draw of {@code p} (use {@link Posterior#resample} first for equal weights). */
    public static void write(Posterior p, Format format, Writer out) throws IOException {
        List<String> names = p.names();
        int[] lengths = p.chainLengths();
        double[] logWeights = p.logWeights();
        if (format == Format.CSV) {
            List<String> header = new ArrayList<>(List.of("run", "weight", "log_weight"));
            if (lengths != null) {
                header.addAll(List.of("chain", "draw"));
            }
            for (String key : names) {
                header.add(RESERVED.contains(key) || key.startsWith(PREFIX) ? PREFIX + key : key);
            }
            out.write(csvRow(header));
        }
        int chain = 0;
        int draw = 0;
        for (int i = 0; i < p.size(); i++) {
            if (lengths != null) {
                while (draw == lengths[chain]) {
                    chain++;
                    draw = 0;
                }
            }
            if (format == Format.CSV) {
                List<String> row = new ArrayList<>();
                row.add(Integer.toString(i));
                row.add(Double.toString(p.weight(i)));
                row.add(Double.toString(logWeights[i]));
                if (lengths != null) {
                    row.add(Integer.toString(chain));
                    row.add(Integer.toString(draw));
                }
                for (String key : names) {
                    row.add(text(p.value(key, i)));
                }
                out.write(csvRow(row));
            } else {
                ObjectNode o = JSON.createObjectNode();
                o.put("run", i);
                o.put("weight", p.weight(i));
                number(o, "log_weight", logWeights[i]);
                if (lengths != null) {
                    o.put("chain", chain);
                    o.put("draw", draw);
                }
                ObjectNode values = o.putObject("values");
                for (String key : names) {
                    Object v = p.value(key, i);
                    if (v != null) {
                        values.set(key, JSON.valueToTree(v));
                    }
                }
                out.write(JSON.writeValueAsString(o));
                out.write('\n');
            }
            draw++;
        }
        out.flush();
    }

    /**
     * Reads draws exported by {@link #write} (or written by another tool in the same layout): the
     * scalar variables, weights where there is a {@code weight} column, chains where there is a
     * {@code chain} column. Vector variables are left out.
     *
     * @throws IllegalArgumentException naming the file, line and problem when it cannot be read
     */
    public static Samples read(Path file) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
                return readJsonl(in, file);
            }
            return readCsv(in, file);
        }
    }

    private static Samples readCsv(BufferedReader in, Path file) throws IOException {
        String line = in.readLine();
        if (line == null) {
            throw new IllegalArgumentException(file + " is empty: expected a header row such as run,weight,x");
        }
        List<String> header = parseCsv(line, file, 1);
        List<List<Double>> cols = new ArrayList<>();
        boolean[] vector = new boolean[header.size()];
        for (int k = 0; k < header.size(); k++) {
            cols.add(new ArrayList<>());
        }
        int lineNo = 1;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isEmpty()) {
                continue;
            }
            List<String> cells = parseCsv(line, file, lineNo);
            if (cells.size() != header.size()) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": " + cells.size() + " fields, but the header has "
                        + header.size());
            }
            for (int k = 0; k < cells.size(); k++) {
                String c = cells.get(k).trim();
                if (c.startsWith("[")) {
                    vector[k] = true;
                    cols.get(k).add(Double.NaN);
                } else {
                    cols.get(k).add(parseNumber(c, file, lineNo, header.get(k)));
                }
            }
        }
        Map<String, double[]> columns = new LinkedHashMap<>();
        for (int k = 0; k < header.size(); k++) {
            if (!vector[k]) {
                columns.put(header.get(k), cols.get(k).stream().mapToDouble(Double::doubleValue).toArray());
            }
        }
        return assemble(columns, file);
    }

    private static Samples readJsonl(BufferedReader in, Path file) throws IOException {
        Map<String, List<Double>> cols = new LinkedHashMap<>();
        List<String> vectors = new ArrayList<>();
        String line;
        int lineNo = 0;
        int n = 0;
        while ((line = in.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode o;
            try {
                o = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (o == null || !o.isObject()) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": expected one JSON object per line");
            }
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            o.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("values")) {
                    fields.put(e.getKey(), e.getValue());
                }
            });
            JsonNode values = o.get("values");
            if (values != null && values.isObject()) {
                values.fields().forEachRemaining(e -> fields.put(
                        RESERVED.contains(e.getKey()) || e.getKey().startsWith(PREFIX) ? PREFIX + e.getKey() : e.getKey(),
                        e.getValue()));
            }
            for (Map.Entry<String, JsonNode> e : fields.entrySet()) {
                JsonNode v = e.getValue();
                if (v.isArray()) {
                    vectors.add(e.getKey());
                    continue;
                }
                List<Double> col = cols.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
                while (col.size() < n) {
                    col.add(Double.NaN);
                }
                col.add(v.isBoolean() ? (v.asBoolean() ? 1.0 : 0.0) : v.isNumber() ? v.asDouble() : Double.NaN);
            }
            n++;
        }
        Map<String, double[]> columns = new LinkedHashMap<>();
        for (Map.Entry<String, List<Double>> e : cols.entrySet()) {
            if (vectors.contains(e.getKey())) {
                continue;
            }
            List<Double> col = e.getValue();
            while (col.size() < n) {
                col.add(Double.NaN);
            }
            columns.put(e.getKey(), col.stream().mapToDouble(Double::doubleValue).toArray());
        }
        return assemble(columns, file);
    }

    private static Samples assemble(Map<String, double[]> columns, Path file) {
        double[] weights = columns.get("weight");
        double[] chains = columns.get("chain");
        for (String r : RESERVED) {
            columns.remove(r);
        }
        Map<String, double[]> renamed = new LinkedHashMap<>();
        columns.forEach((k, v) -> renamed.put(k.startsWith(PREFIX) ? k.substring(PREFIX.length()) : k, v));
        columns = renamed;
        int[] chain = null;
        if (chains != null) {
            chain = new int[chains.length];
            for (int i = 0; i < chain.length; i++) {
                chain[i] = (int) chains[i];
            }
        }
        if (columns.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no scalar variables");
        }
        try {
            return new Samples(columns, weights, chain);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static double parseNumber(String c, Path file, int line, String column) {
        if (c.isEmpty()) {
            return Double.NaN;
        }
        if (c.equals("true")) {
            return 1;
        }
        if (c.equals("false")) {
            return 0;
        }
        try {
            return Double.parseDouble(c);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ":" + line + ": '" + c + "' in column " + column
                    + " is not a number, true/false or a JSON array");
        }
    }

    private static String text(Object v) throws JsonProcessingException {
        if (v == null) {
            return "";
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        return JSON.writeValueAsString(v);
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.put(key, v == Double.NEGATIVE_INFINITY ? "-Infinity" : String.valueOf(v));
        }
    }

    private static String csvRow(List<String> cells) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < cells.size(); k++) {
            String c = cells.get(k);
            if (k > 0) {
                sb.append(',');
            }
            if (c.contains(",") || c.contains("\"") || c.contains("\n")) {
                sb.append('"').append(c.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(c);
            }
        }
        return sb.append('\n').toString();
    }

    /** One CSV record per line (RFC 4180 quoting; exports never break a record across lines). */
    private static List<String> parseCsv(String line, Path file, int lineNo) {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                out.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException(file + ":" + lineNo + ": a quoted field is not closed");
        }
        out.add(cell.toString());
        return out;
    }
}
