package dev.probe.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

import dev.probe.diagnostics.SampleFiles;
import dev.probe.diagnostics.Samples;
import dev.probe.runtime.posterior.Posterior;

/** Reading what the diagnostic commands are given: saved posteriors, exported draws. */
final class ResultFiles {

    private static final byte[] POSTERIOR_MAGIC = "PROBEPST".getBytes(StandardCharsets.US_ASCII);

    private ResultFiles() {
    }

    /** Whether {@code file} starts as a saved posterior does. */
    static boolean isPosterior(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            if (!Files.exists(file)) {
                throw new NoSuchFileException(file.toString());
            }
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(POSTERIOR_MAGIC.length), POSTERIOR_MAGIC);
        }
    }

    /** A saved posterior (probe infer --save); anything else is a usage error naming the file. */
    static Posterior posterior(Path file, String what) throws IOException {
        if (!isPosterior(file)) {
            throw new UsageException(what + ": " + file + " is not a saved posterior (write one with probe infer ... --save FILE)");
        }
        return Posterior.load(file);
    }

    /** Draws from a saved posterior or an exported CSV / JSON-lines file. */
    static Samples samples(Path file) throws IOException {
        if (isPosterior(file)) {
            return Samples.of(Posterior.load(file));
        }
        try {
            return SampleFiles.read(file);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage() + " (expected a saved posterior or draws from probe export)", e);
        }
    }
}
