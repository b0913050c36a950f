package dev.probe.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.models.Builtins;
import dev.probe.runtime.engine.Backend;
import dev.probe.runtime.model.Model;

/**
 * A sharded trace dataset is the single-file dataset of the same seed, cut: the same runs, the
 * same training data; its shards' bytes depend on nothing but the model, the seed and their
 * ranges; and a manifest whose shards are missing, truncated, reordered or damaged is refused,
 * naming the shard.
 */
class ShardedDatasetTest {

    private static final Model GAUSSIAN = Builtins.find("gaussian").orElseThrow().create();
    private static final String LABEL = "builtin:gaussian";
    /** Three shards of 10,000 runs: two full blocks of 4096 and a short one. */
    private static final long RUNS = 10_000;

    @Test
    void aShardedDatasetHoldsTheRunsAndTrainingDataOfTheSingleFileOfItsSeed(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("one.traces");
        TraceDataset.write(file, RunSource.online(GAUSSIAN, LABEL, 8, 2, 64), RUNS, TraceDataset.BLOCK, n -> { });
        Path sharded = dir.resolve("sharded");
        List<ShardedDataset.Shard> shards = ShardedDataset.write(sharded, GAUSSIAN, LABEL, 8, RUNS, 3, Backend.threads(2),
                true, n -> { });
        assertEquals(3, shards.size());
        assertEquals(RUNS, shards.get(2).end());

        TraceDataset one = TraceDataset.read(file);
        TraceDataset cut = TraceDataset.read(sharded);
        assertEquals(one.identity(), cut.identity());
        assertArrayEquals(TraceDataset.bytes(one.identity(), LABEL, one.runs()),
                TraceDataset.bytes(cut.identity(), LABEL, cut.runs()));
        // The runs a training sees, validation set and shuffled passes, are the same too.
        RunSource a = one.source(file, 3);
        RunSource b = cut.source(sharded, 3);
        assertArrayEquals(TraceDataset.bytes("", "", a.validation(256)), TraceDataset.bytes("", "", b.validation(256)));
        for (int batch = 0; batch < 200; batch++) {
            assertArrayEquals(TraceDataset.bytes("", "", a.next(64)), TraceDataset.bytes("", "", b.next(64)), "batch " + batch);
        }
        // Its manifest is read from its directory or named itself.
        assertEquals(RUNS, TraceDataset.read(sharded.resolve(ShardedDataset.MANIFEST)).runs().size());
    }

    @Test
    void shardBytesDependOnNeitherThreadsNorTaskOrderNorWhoWritesThem(@TempDir Path dir) throws IOException {
        Path oneThread = dir.resolve("one-thread");
        Path threeThreads = dir.resolve("three-threads");
        Path reversed = dir.resolve("reversed-returned");
        ShardedDataset.write(oneThread, GAUSSIAN, LABEL, 4, RUNS, 3, Backend.threads(1), true, n -> { });
        ShardedDataset.write(threeThreads, GAUSSIAN, LABEL, 4, RUNS, 3, Backend.threads(3), true, n -> { });
        // Tasks run last first, their bytes brought back to this process to be written.
        ShardedDataset.write(reversed, GAUSSIAN, LABEL, 4, RUNS, 3, new ReversedBackend(), false, n -> { });
        for (Path other : List.of(threeThreads, reversed)) {
            assertEquals(listing(oneThread), listing(other));
            for (String name : listing(oneThread)) {
                assertArrayEquals(Files.readAllBytes(oneThread.resolve(name)), Files.readAllBytes(other.resolve(name)),
                        other + "/" + name);
            }
        }
    }

    @Test
    void rewritingADatasetLeavesOnlyTheNewShards(@TempDir Path dir) throws IOException {
        Path sharded = dir.resolve("sharded");
        List<ShardedDataset.Shard> before = ShardedDataset.write(sharded, GAUSSIAN, LABEL, 1, RUNS, 3, Backend.threads(2), true,
                n -> { });
        List<ShardedDataset.Shard> after = ShardedDataset.write(sharded, GAUSSIAN, LABEL, 2, RUNS, 2, Backend.threads(2), true,
                n -> { });
        List<String> expected = new ArrayList<>(List.of(ShardedDataset.MANIFEST));
        after.forEach(s -> expected.add(s.file()));
        assertEquals(expected.stream().sorted().toList(), listing(sharded));
        assertFalse(before.get(0).file().equals(after.get(0).file()), "another seed, other shard names");
        assertEquals(RUNS, TraceDataset.read(sharded).runs().size());
    }

    @Test
    void aManifestWhoseShardsAreMissingTruncatedReorderedOrDamagedIsRefusedNamingTheShard(@TempDir Path dir)
            throws IOException {
        Path good = dir.resolve("good");
        List<ShardedDataset.Shard> shards = ShardedDataset.write(good, GAUSSIAN, LABEL, 5, RUNS, 3, Backend.threads(2), true,
                n -> { });
        String first = shards.get(0).file();
        String second = shards.get(1).file();

        Path missing = copy(good, dir.resolve("missing"));
        Files.delete(missing.resolve(second));
        refused(missing, second, "is missing");

        Path truncated = copy(good, dir.resolve("truncated"));
        byte[] whole = Files.readAllBytes(truncated.resolve(second));
        Files.write(truncated.resolve(second), Arrays.copyOf(whole, whole.length - 9));
        refused(truncated, second, "is truncated");

        Path damaged = copy(good, dir.resolve("damaged"));
        byte[] flipped = Files.readAllBytes(damaged.resolve(second));
        flipped[flipped.length / 2] ^= 1;
        Files.write(damaged.resolve(second), flipped);
        refused(damaged, second, "its SHA-256 does not match");

        Path swapped = copy(good, dir.resolve("swapped"));
        Files.move(swapped.resolve(first), swapped.resolve("tmp"));
        Files.move(swapped.resolve(second), swapped.resolve(first));
        Files.move(swapped.resolve("tmp"), swapped.resolve(second));
        refused(swapped, first, "holds the runs of shard " + second);

        Path reordered = copy(good, dir.resolve("reordered"));
        ObjectNode manifest = (ObjectNode) JSON.readTree(reordered.resolve(ShardedDataset.MANIFEST).toFile());
        ArrayNode list = (ArrayNode) manifest.get("shards");
        JsonNode entry = list.remove(0);
        list.insert(1, entry);
        JSON.writeValue(reordered.resolve(ShardedDataset.MANIFEST).toFile(), manifest);
        refused(reordered, second, "out of order");

        Path halfManifest = copy(good, dir.resolve("half"));
        byte[] text = Files.readAllBytes(halfManifest.resolve(ShardedDataset.MANIFEST));
        Files.write(halfManifest.resolve(ShardedDataset.MANIFEST), Arrays.copyOf(text, text.length / 2));
        refused(halfManifest, ShardedDataset.MANIFEST, "is damaged");

        Path noManifest = copy(good, dir.resolve("no-manifest"));
        Files.delete(noManifest.resolve(ShardedDataset.MANIFEST));
        refused(noManifest, "no-manifest", "no " + ShardedDataset.MANIFEST);
    }

    @Test
    void moreShardsThanBlocksAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShardedDataset.ranges(RUNS, 4));
        assertTrue(e.getMessage().contains("give from 1 to 3 shards"), e.getMessage());
        assertEquals(List.of(0L, 4096L), Arrays.stream(ShardedDataset.ranges(RUNS, 2).get(0)).boxed().toList());
    }

    private static void refused(Path dataset, String names, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TraceDataset.read(dataset));
        assertTrue(e.getMessage().contains(names) && e.getMessage().contains(why), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String name : listing(from)) {
            Files.copy(from.resolve(name), to.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
        }
        return to;
    }

    private static List<String> listing(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Runs tasks last first, on this thread: a backend that finishes them in another order. */
    private static final class ReversedBackend implements Backend {
        @Override
        public <R extends Serializable> List<R> map(int count, Task<R> task) {
            List<R> results = new ArrayList<>(java.util.Collections.nCopies(count, null));
            for (int i = count - 1; i >= 0; i--) {
                results.set(i, task.run(i));
            }
            return results;
        }

        @Override
        public int parallelism() {
            return 1;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
}
