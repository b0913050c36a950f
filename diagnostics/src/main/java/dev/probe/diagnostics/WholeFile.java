package dev.probe.diagnostics;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.probe.runtime.io.CheckedFile;

/** Output files written whole or not at all: into a temporary file beside the target, then moved into place. */
public final class WholeFile {

    /** Writes a file's content. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    private WholeFile() {
    }

    /** Writes {@code body} to {@code file}; an error leaves any previous file as it was. */
    public static void write(Path file, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        // A plain new file (not createTempFile's owner-only one), so the result gets the usual permissions.
        Path tmp = dir.resolve("." + file.getFileName() + ".part");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                body.write(out);
            }
            CheckedFile.moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
