package dev.probe.runtime.io;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * Files written whole or not at all, ending in a CRC-32 of what precedes it: the body goes to a
 * temporary file beside the target, the checksum follows as a big-endian long, and the file is
 * moved into place. A crash or an error leaves the previous file as it was. Saved posteriors,
 * trained networks' weights and trace datasets are written so.
 */
public final class CheckedFile {

    /** Writes a file's body. */
    @FunctionalInterface
    public interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private CheckedFile() {
    }

    /** Writes {@code body} and its CRC-32 to {@code file} (creating its directory); returns the CRC-32. */
    public static long write(Path file, Body body) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        // Beside the target, so the move stays on one file system; created like any output file.
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        try {
            CRC32 crc = new CRC32();
            try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                DataOutputStream out = new DataOutputStream(new CheckedOutputStream(raw, crc));
                body.write(out);
                out.flush();
                new DataOutputStream(raw).writeLong(crc.getValue());
            }
            moveIntoPlace(tmp, file);
            return crc.getValue();
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Moves {@code from} onto {@code to}, atomically where the file system can. */
    public static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
