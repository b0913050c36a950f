package dev.probe.cli;

import java.io.IOException;
import java.nio.file.Path;

import dev.probe.runtime.io.CheckedFile;

/** Output paths checked and locked before the work whose result they will hold. */
final class Outputs {

    private Outputs() {
    }

    /**
     * Reserves {@code path} (see {@link CheckedFile#reserve}) for the whole command, or fails with a
     * usage error naming {@code option}; null for no path.
     */
    static CheckedFile.Reservation reserve(Path path, CheckedFile.Kind kind, String option) {
        if (path == null) {
            return null;
        }
        try {
            return CheckedFile.reserve(path, kind);
        } catch (IOException e) {
            throw new UsageException(option + " " + path + ": " + e.getMessage(), e);
        }
    }

    /** Releases a reservation; a failure to release a lock loses nothing, so it is not reported. */
    static void release(CheckedFile.Reservation r) {
        if (r != null) {
            try {
                r.close();
            } catch (IOException ignored) {
                // The lock goes with the process anyway.
            }
        }
    }
}
