package dev.probe.runtime.io;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32;
import java.util.zip.CheckedOutputStream;

/**
 * Files written whole or not at all, ending in a CRC-32 of what precedes it. The body goes to a
 * temporary file created exclusively, under a fresh random name, beside the target (a link planted
 * there is never followed), is flushed to the disk, and is moved into place in one rename. A crash
 * or an error leaves the previous file as it was. Saved posteriors, trained networks and trace
 * datasets are written so.
 *
 * <p>A target is guarded against other Probe processes by a lock on {@code .NAME.lock} beside it,
 * held from {@link #reserve} (before the work whose result it will hold, so that a clash is found
 * at once) until the reservation is closed. Only a regular file is ever replaced.
 */
public final class CheckedFile {

    /** Writes a file's body. */
    @FunctionalInterface
    public interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** What a target must be, if it exists. */
    public enum Kind {
        FILE, DIRECTORY
    }

    /** Why an output cannot go where it was asked to, said in one sentence naming the place. */
    public static final class OutputException extends IOException {
        private static final long serialVersionUID = 1L;

        public OutputException(String message) {
            super(message);
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Targets this process holds, so that a write under a reservation uses it rather than locking twice. */
    private static final Map<Path, Reservation> HELD = new ConcurrentHashMap<>();

    private CheckedFile() {
    }

    /**
     * A target checked and locked for writing: its directory exists (it is created if need be), it
     * is not something other than {@code kind}, and no other Probe process holds it.
     */
    public static final class Reservation implements AutoCloseable {
        private final Path target;
        private final FileChannel channel;
        private final FileLock lock;
        private final Set<PosixFilePermission> permissions;

        private Reservation(Path target, FileChannel channel, FileLock lock, Set<PosixFilePermission> permissions) {
            this.target = target;
            this.channel = channel;
            this.lock = lock;
            this.permissions = permissions;
        }

        /** The target, absolute. */
        public Path target() {
            return target;
        }

        @Override
        public void close() throws IOException {
            if (HELD.remove(target, this)) {
                try {
                    lock.release();
                } finally {
                    channel.close();
                }
            }
        }
    }

    /**
     * Checks and locks {@code target} for writing.
     *
     * @throws OutputException naming the target and why it cannot be written (not a regular file,
     *                         its directory cannot be made or written, another Probe process holds it)
     */
    public static Reservation reserve(Path target, Kind kind) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path name = abs.getFileName();
        Path dir = abs.getParent();
        if (name == null || dir == null) {
            throw new OutputException(target + " names no file: give a file name, such as " + Path.of("out", "result.probe"));
        }
        if (HELD.containsKey(abs)) {
            throw new OutputException(target + " is already being written by this process");
        }
        checkKind(abs, kind);
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new OutputException("cannot write " + target + ": " + e.getFile() + " is not a directory");
        } catch (IOException e) {
            throw new OutputException("cannot write " + target + ": cannot make its directory " + dir + " (" + why(e) + ")");
        }
        if (!Files.isWritable(dir)) {
            throw new OutputException("cannot write " + target + ": its directory " + dir + " is not writable");
        }
        Path lockFile = dir.resolve("." + name + ".lock");
        FileChannel channel;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new OutputException("cannot write " + target + ": cannot open its lock file " + lockFile + " (" + why(e)
                    + (Files.isSymbolicLink(lockFile) ? ": it is a symbolic link; remove it" : "") + ")");
        }
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw new OutputException("cannot lock " + lockFile + " to write " + target + ": " + why(e));
        }
        if (lock == null) {
            channel.close();
            throw new OutputException(target + " is being written by another Probe process (it holds " + lockFile
                    + "): wait for it to finish, or choose another name");
        }
        Set<PosixFilePermission> permissions = null;
        try {
            // The lock file was made with this process's default permissions: new outputs get the same.
            permissions = Files.getPosixFilePermissions(lockFile, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IOException e) {
            // Not a POSIX file system: the temporary file's own permissions stay.
        }
        Reservation r = new Reservation(abs, channel, lock, permissions);
        if (kind == Kind.DIRECTORY) {
            try {
                Files.createDirectories(abs);
            } catch (IOException e) {
                r.close();
                throw new OutputException("cannot make the directory " + target + " (" + why(e) + ")");
            }
        }
        HELD.put(abs, r);
        return r;
    }

    /** Refuses a target that exists as something other than {@code kind} (a link, a device, a directory...). */
    private static void checkKind(Path abs, Kind kind) throws OutputException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(abs, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (java.nio.file.FileSystemException e) {
            String reason = why(e);
            throw new OutputException("cannot write " + abs + ": " + ("Not a directory".equals(reason)
                    ? "a part of its path is a file, not a directory" : reason));
        } catch (IOException e) {
            throw new OutputException("cannot write " + abs + ": " + why(e));
        }
        boolean fits = kind == Kind.FILE ? a.isRegularFile() : a.isDirectory();
        if (!fits) {
            String is = a.isDirectory() ? "a directory" : a.isSymbolicLink() ? "a symbolic link" : a.isRegularFile() ? "a file"
                    : "a device or other special file";
            throw new OutputException(abs + " is " + is + ", not " + (kind == Kind.FILE ? "a regular file" : "a directory")
                    + ": Probe replaces only " + (kind == Kind.FILE ? "regular files" : "directories") + "; choose another name");
        }
    }

    /** Work done under a reservation. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Reservation r) throws IOException;
    }

    /** Runs {@code work} under this process's reservation of {@code target}, or a fresh one held meanwhile. */
    public static <T> T under(Path target, Kind kind, Work<T> work) throws IOException {
        Reservation held = HELD.get(target.toAbsolutePath().normalize());
        if (held != null) {
            return work.run(held);
        }
        try (Reservation r = reserve(target, kind)) {
            return work.run(r);
        }
    }

    /**
     * Writes the file {@code name} inside the directory {@code dir} holds (see {@link #write(Path, Body, boolean)});
     * returns the CRC-32.
     */
    public static long writeInside(Reservation dir, String name, Body body, boolean checksum) throws IOException {
        Path file = dir.target.resolve(name).normalize();
        if (!dir.target.equals(file.getParent())) {
            throw new OutputException(name + " is not a plain file name inside " + dir.target);
        }
        return write(new Reservation(file, null, null, dir.permissions), body, checksum);
    }

    /**
     * Writes the file {@code name} inside {@code dir} whole or not at all, as {@link #writeInside}
     * does, for a task of a job whose coordinator holds {@code dir}'s reservation, perhaps in
     * another process or on another machine: it takes no lock of its own. Returns the CRC-32.
     */
    public static long writeShared(Path dir, String name, Body body, boolean checksum) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Path file = abs.resolve(name).normalize();
        if (!abs.equals(file.getParent())) {
            throw new OutputException(name + " is not a plain file name inside " + abs);
        }
        return write(new Reservation(file, null, null, null), body, checksum);
    }

    /** Writes {@code body} and its CRC-32 to {@code file} (creating its directory); returns the CRC-32. */
    public static long write(Path file, Body body) throws IOException {
        return write(file, body, true);
    }

    /**
     * Writes {@code body} to {@code file}, followed by its CRC-32 when {@code checksum}, under this
     * process's reservation of the file or a fresh one; returns the CRC-32.
     */
    public static long write(Path file, Body body, boolean checksum) throws IOException {
        return under(file, Kind.FILE, r -> write(r, body, checksum));
    }

    private static long write(Reservation r, Body body, boolean checksum) throws IOException {
        Path target = r.target;
        Path dir = target.getParent();
        // Exclusive creation under a random name: nothing planted there is followed or overwritten.
        Path tmp = dir.resolve("." + target.getFileName() + "." + HexFormat.of().toHexDigits(RANDOM.nextLong()) + ".tmp");
        try {
            CRC32 crc = new CRC32();
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream raw = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
                DataOutputStream out = new DataOutputStream(new CheckedOutputStream(raw, crc));
                body.write(out);
                out.flush();
                if (checksum) {
                    new DataOutputStream(raw).writeLong(crc.getValue());
                }
                raw.flush();
                ch.force(true);
            }
            if (r.permissions != null) {
                Files.setPosixFilePermissions(tmp, r.permissions);
            }
            checkKind(target, Kind.FILE);
            moveIntoPlace(tmp, target);
            syncDirectory(dir);
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

    /** Flushes a directory's entries (a rename) to the disk, where the platform allows it. */
    public static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms cannot open a directory; the rename is then as durable as they make it.
        }
    }

    private static String why(IOException e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException && ((java.nio.file.FileSystemException) e).getReason() != null) {
            return ((java.nio.file.FileSystemException) e).getReason();
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
