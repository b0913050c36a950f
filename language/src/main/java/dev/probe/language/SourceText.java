package dev.probe.language;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** A script's text and name, for parsing and for error messages that show the place. */
public final class SourceText {

    private final String name;
    private final String text;
    private final String[] lines;

    private SourceText(String name, String text) {
        this.name = name;
        this.text = text;
        this.lines = text.split("\r?\n", -1);
    }

    /** A script called {@code name} (usually its path) with the given text. */
    public static SourceText of(String name, String text) {
        return new SourceText(name, text);
    }

    public String name() {
        return name;
    }

    public String text() {
        return text;
    }

    /** The SHA-256 of the text: the script's identity in saved posteriors and trained networks. */
    public String hash() {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code file:line:col: message}, then the source line and a caret under the column (1-based). */
    public String render(int line, int col, String message) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s:%d:%d: %s", name, line, col, message));
        if (line >= 1 && line <= lines.length) {
            String src = lines[line - 1].replace('\t', ' ');
            sb.append(System.lineSeparator()).append("    ").append(src);
            sb.append(System.lineSeparator()).append("    ").append(" ".repeat(Math.max(0, Math.min(col - 1, src.length())))).append('^');
        }
        return sb.toString();
    }
}
