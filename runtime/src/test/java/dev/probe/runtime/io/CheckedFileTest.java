package dev.probe.runtime.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files written whole, beside their target, never through a link and never onto something else. */
class CheckedFileTest {

    @TempDir
    Path dir;

    private static CheckedFile.Body text(String s) {
        return out -> out.write(s.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void aLinkPlantedAtTheOldTemporaryNameIsNeverFollowed() throws IOException {
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious");
        Files.createSymbolicLink(dir.resolve(".post.probe.tmp"), victim);
        CheckedFile.write(dir.resolve("post.probe"), text("result"));
        assertEquals("precious", Files.readString(victim));
        assertTrue(Files.isSymbolicLink(dir.resolve(".post.probe.tmp")), "the planted link is left alone");
        byte[] saved = Files.readAllBytes(dir.resolve("post.probe"));
        assertEquals("result", new String(saved, 0, 6, StandardCharsets.UTF_8));
        assertEquals(14, saved.length, "the body and its 8-byte checksum");
    }

    @Test
    void onlyARegularFileIsReplaced() throws IOException {
        Path sub = dir.resolve("sub");
        Files.createDirectory(sub);
        CheckedFile.OutputException e = assertThrows(CheckedFile.OutputException.class, () -> CheckedFile.write(sub, text("x")));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious");
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, victim);
        e = assertThrows(CheckedFile.OutputException.class, () -> CheckedFile.write(link, text("x")));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertEquals("precious", Files.readString(victim));
        if (Files.exists(Path.of("/dev/null"))) {
            e = assertThrows(CheckedFile.OutputException.class, () -> CheckedFile.write(Path.of("/dev/null"), text("x")));
            assertTrue(e.getMessage().contains("device"), e.getMessage());
            assertTrue(Files.exists(Path.of("/dev/null")) && !Files.isRegularFile(Path.of("/dev/null")));
        }
    }

    @Test
    void aTargetThatNamesNoFileOrLiesUnderAFileIsRefusedBeforeAnyWork() throws IOException {
        assertThrows(CheckedFile.OutputException.class, () -> CheckedFile.reserve(Path.of("/"), CheckedFile.Kind.FILE));
        Files.writeString(dir.resolve("plain"), "x");
        CheckedFile.OutputException e = assertThrows(CheckedFile.OutputException.class,
                () -> CheckedFile.reserve(dir.resolve("plain").resolve("post.probe"), CheckedFile.Kind.FILE));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void aReservedTargetIsWrittenUnderItsReservationAndRefusedToOthers() throws IOException {
        Path target = dir.resolve("post.probe");
        try (CheckedFile.Reservation r = CheckedFile.reserve(target, CheckedFile.Kind.FILE)) {
            assertThrows(CheckedFile.OutputException.class, () -> CheckedFile.reserve(target, CheckedFile.Kind.FILE));
            CheckedFile.write(target, text("one"));
            CheckedFile.write(target, text("two"));
        }
        byte[] saved = Files.readAllBytes(target);
        assertArrayEquals("two".getBytes(StandardCharsets.UTF_8), java.util.Arrays.copyOf(saved, 3));
        // Nothing is left but the target and its lock file.
        assertEquals(List.of(".post.probe.lock", "post.probe"), names());
        try (CheckedFile.Reservation r = CheckedFile.reserve(target, CheckedFile.Kind.FILE)) {
            assertEquals(target.toAbsolutePath(), r.target());
        }
    }

    @Test
    void aFailedBodyLeavesThePreviousFileAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("post.probe");
        CheckedFile.write(target, text("old"));
        byte[] before = Files.readAllBytes(target);
        assertThrows(IOException.class, () -> CheckedFile.write(target, out -> {
            out.write(1);
            throw new IOException("disk full");
        }));
        assertArrayEquals(before, Files.readAllBytes(target));
        assertEquals(List.of(".post.probe.lock", "post.probe"), names());
    }
}
