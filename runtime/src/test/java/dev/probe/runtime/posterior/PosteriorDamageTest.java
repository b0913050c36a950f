package dev.probe.runtime.posterior;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.inference.Inference;

/** Damage of any kind reads as damage, naming the file, and never costs more memory than the file's size. */
class PosteriorDamageTest {

    @TempDir
    Path dir;

    @Test
    void randomBytesAfterTheMagicAreDamageNotANewerVersion() throws IOException {
        Path f = dir.resolve("p.probe");
        Random random = new Random(1);
        for (int i = 0; i < 50; i++) {
            byte[] junk = new byte[64 + random.nextInt(4096)];
            random.nextBytes(junk);
            System.arraycopy(PosteriorFile.MAGIC, 0, junk, 0, PosteriorFile.MAGIC.length);
            junk[8] = (byte) (junk[8] | 0x10); // a version field of at least 2^28
            Files.write(f, junk);
            String m = assertThrows(PosteriorFormatException.class, () -> Posterior.load(f)).getMessage();
            assertTrue(m.startsWith("cannot read posterior " + f) && m.contains("damaged") && !m.contains("upgrade"), m);
        }
    }

    @Test
    void everySingleFlippedBitOfACountIsDamageWithoutAHugeAllocation() throws IOException {
        Path f = dir.resolve("p.probe");
        Inference.importanceSampling(ctx -> ctx.sample(Normal.of(0, 1), "mu")).traces(50).seed(1).keepTraces(false).run().save(f);
        byte[] good = Files.readAllBytes(f);
        // Flip each bit of the first 200 bytes (magic, version, provenance lengths, counts): each read
        // must fail as damage, quickly, whatever size the flipped count now claims.
        for (int at = 8; at < Math.min(200, good.length - 8); at++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[at] ^= (byte) (1 << bit);
                Files.write(f, bad);
                PosteriorFormatException e = assertThrows(PosteriorFormatException.class, () -> Posterior.load(f));
                assertTrue(e.getMessage().contains("damaged") || e.getMessage().contains("upgrade"), e.getMessage());
            }
        }
    }
}
