package dev.probe.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.djl.Device;
import dev.probe.models.Builtins;
import dev.probe.proposals.Artifact;

/**
 * A network directory is replaced as a whole: a crash at any step of a save leaves the old
 * network or the new one, each loading whole, never a mixture that fails its checksum.
 */
class ArtifactCrashTest {

    private static Artifact small(long seed) {
        return Trainer.train(RunSource.online(Builtins.find("gaussian").orElseThrow().create(), "builtin:gaussian", seed, 2, 64),
                InferenceCompilationTest.options(600, seed, 16), Trainer.Listener.NONE);
    }

    private static float[] lstm(Path dir) throws IOException {
        Artifact a = Artifact.load(dir, Device.cpu());
        try {
            return a.network().weights().get("lstm.ih.weight");
        } finally {
            a.network().close();
        }
    }

    private static void crashAfterStep(int k) throws ReflectiveOperationException {
        Field f = Artifact.class.getDeclaredField("afterStep");
        f.setAccessible(true);
        AtomicInteger steps = new AtomicInteger();
        f.set(null, k == 0 ? (Runnable) () -> { } : (Runnable) () -> {
            if (steps.incrementAndGet() == k) {
                throw new IllegalStateException("crash after step " + k);
            }
        });
    }

    @Test
    void aCrashBetweenTheStepsOfASaveLeavesANetworkThatLoads(@TempDir Path dir) throws Exception {
        Artifact oldNet = small(1);
        Artifact newNet = small(2);
        try {
            float[] oldWeights = oldNet.network().weights().get("lstm.ih.weight");
            float[] newWeights = newNet.network().weights().get("lstm.ih.weight");
            for (int k = 1; k <= 2; k++) {
                crashAfterStep(0);
                oldNet.save(dir);
                assertArrayEquals(oldWeights, lstm(dir));
                crashAfterStep(k);
                assertThrows(IllegalStateException.class, () -> newNet.save(dir));
                // Past the first step the description names the new weights: the new network loads whole.
                assertArrayEquals(newWeights, lstm(dir), "after a crash at step " + k);
            }
            crashAfterStep(0);
            newNet.save(dir);
            assertArrayEquals(newWeights, lstm(dir));
            try (Stream<Path> files = Files.list(dir)) {
                List<String> names = files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
                assertEquals(List.of("network.json", "weights.bin"), names, "no staged weights are left behind");
            }
            assertTrue(Files.readString(dir.resolve("network.json")).contains("\"file\" : \"weights.bin\""));
        } finally {
            crashAfterStep(0);
            oldNet.network().close();
            newNet.network().close();
        }
    }

    @Test
    void aSecondWriterOfOneDirectoryIsRefusedByName(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("net");
        try (dev.probe.runtime.io.CheckedFile.Reservation held = dev.probe.runtime.io.CheckedFile.reserve(out,
                dev.probe.runtime.io.CheckedFile.Kind.DIRECTORY)) {
            assertTrue(Files.isDirectory(out));
            IOException e = assertThrows(IOException.class,
                    () -> dev.probe.runtime.io.CheckedFile.reserve(out, dev.probe.runtime.io.CheckedFile.Kind.DIRECTORY));
            assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
        }
    }
}
