package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;

import dev.probe.runtime.engine.Backend;
import dev.probe.runtime.model.Model;
import picocli.CommandLine;

/**
 * A command as a worker elsewhere re-creates its tasks. An engine's tasks capture the model and
 * its settings, which do not travel (a script's interpreter, a simulator's connections), so a
 * worker runs the same command itself, with the same seed: its backend answers the command's
 * earlier {@link Backend#map} calls with the results the driver already has, computes the tasks
 * it was given of the call the driver is making, and stops the command there. Engines are
 * deterministic given the seed and their tasks' results, so the worker's tasks are the driver's.
 * Scripts and observation files travel as text.
 */
public final class Replay implements Serializable {

    private static final long serialVersionUID = 1L;

    private final List<String> args;
    private final Map<String, String> files;
    /** The files of the directories the arguments name (--network), by the path as the arguments give it, then by file name. */
    private final Map<String, Map<String, byte[]>> directories;
    /** The job's bridge token: what simulators started by a worker must present (never in the arguments, which get printed). */
    private final String bridgeToken;
    /** Driver side: told the identity of the model each worker's replay ran; not shipped. */
    private transient volatile Consumer<String> modelIdentities;

    /**
     * @param args        the subcommand and its arguments, the seed fixed
     * @param files       the text of the files the arguments name, by the argument naming them
     * @param directories the files of the directories that travel with the job ({@code --network DIR}),
     *                    by the value of the argument naming them (as {@link #pack} reads them)
     * @param bridgeToken the secret that simulators started by workers present to their task's bridge
     */
    public Replay(List<String> args, Map<String, String> files, Map<String, Map<String, byte[]>> directories, String bridgeToken) {
        this.args = List.copyOf(args);
        this.files = new LinkedHashMap<>(files);
        this.directories = new LinkedHashMap<>(directories);
        this.bridgeToken = bridgeToken;
    }

    /** Driver side: {@code listener} hears the identity of the model of each worker's replay ({@link #heard}). */
    void onModelIdentity(Consumer<String> listener) {
        modelIdentities = listener;
    }

    /**
     * Driver side: a worker's outcome came back; passes on the identity of the model its replay
     * ran, where the replay started external simulators (whose identity only their handshake tells).
     */
    public void heard(Outcome outcome) {
        Consumer<String> l = modelIdentities;
        if (l != null && outcome.modelIdentity() != null) {
            l.accept(outcome.modelIdentity());
        }
    }

    /** The job's bridge token, on a worker replaying the command; null elsewhere. */
    static String bridgeToken() {
        return BackendOptions.REPLAYING.get() instanceof Worker w ? w.replay.bridgeToken : null;
    }

    /**
     * On a worker: the command's model is external simulators that this replay started, {@code
     * threads} of them, so its tasks run on that many threads, one simulator each, and the
     * model's identity goes back to the driver.
     */
    static void simulatorsStarted(Model model, int threads) {
        if (BackendOptions.REPLAYING.get() instanceof Worker w) {
            w.model = model;
            w.threads = threads;
        }
    }

    /** The command's arguments, the subcommand first. */
    public List<String> args() {
        return args;
    }

    /**
     * What a worker computed: tasks {@code [from, from + results.size())} of a call, or the failure
     * of task {@code failedTask} (no task before it in the range failed); and the identity of the
     * external simulators its replay started (null for other models).
     */
    public record Outcome(int from, List<Serializable> results, RuntimeException failure, int failedTask, String modelIdentity)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Replays the command and computes tasks {@code [from, to)} of its map call number {@code call}.
     *
     * @param parallelism what the driver's backend reports, so that engines cut their work alike
     * @param earlier     the results of the command's calls before {@code call}, in order
     */
    public Outcome tasks(int parallelism, int call, List<? extends List<? extends Serializable>> earlier, int from, int to) {
        Path dir = null;
        try {
            List<String> given = new ArrayList<>(args);
            if (!files.isEmpty() || !directories.isEmpty()) {
                // Private to this user (rwx------ on POSIX), fresh: nobody else can plant a link in it.
                dir = Files.createTempDirectory("probe-replay");
                for (Map.Entry<String, String> f : files.entrySet()) {
                    Path copy = dir.resolve(Path.of(f.getKey()).getFileName().toString());
                    Files.writeString(copy, f.getValue());
                    given.replaceAll(a -> a.equals(f.getKey()) ? copy.toString()
                            : a.equals("--observations=" + f.getKey()) ? "--observations=" + copy : a);
                }
                int n = 0;
                for (Map.Entry<String, Map<String, byte[]>> d : directories.entrySet()) {
                    Path copy = unpack(d.getValue(), dir.resolve("dir" + n++));
                    given.replaceAll(a -> a.equals("--network=" + d.getKey()) ? "--network=" + copy : a);
                }
            }
            Worker backend = new Worker(this, parallelism, call, earlier, from, to);
            CommandLine cl = new CommandLine(new Main());
            PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
            cl.setOut(nowhere);
            cl.setErr(nowhere);
            BackendOptions.REPLAYING.set(backend);
            try {
                CommandLine.ParseResult parsed = cl.parseArgs(given.toArray(String[]::new));
                Object command = parsed.subcommand().commandSpec().userObject();
                ((Callable<?>) command).call();
            } catch (Captured c) {
                return c.outcome;
            } finally {
                BackendOptions.REPLAYING.remove();
            }
            throw new IllegalStateException("replaying probe " + String.join(" ", args) + ": the command made "
                    + backend.calls + " backend calls, not " + (call + 1) + " as where it first ran");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("replaying probe " + String.join(" ", args) + ": " + e.getMessage(), e);
        } finally {
            if (dir != null) {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    // A temporary copy left behind harms nothing.
                }
            }
        }
    }

    /** The most bytes of a directory that travels with a job: beyond, it belongs on a path every worker sees. */
    static final long MOST_PACKED = 512L << 20;

    /**
     * Driver side: the regular files directly in {@code dir} (a trained network: its description
     * and weights), by name, to travel with the job; subdirectories stay behind.
     *
     * @throws UsageException when {@code dir} is not a readable directory, or holds more than {@link #MOST_PACKED} bytes
     */
    public static Map<String, byte[]> pack(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UsageException("--network " + dir + ": not a directory: give the directory a trained network was saved in");
        }
        Map<String, byte[]> packed = new java.util.TreeMap<>();
        long bytes = 0;
        try (Stream<Path> list = Files.list(dir)) {
            for (Path f : (Iterable<Path>) list.sorted()::iterator) {
                if (!Files.isRegularFile(f)) {
                    continue;
                }
                bytes += Files.size(f);
                if (bytes > MOST_PACKED) {
                    throw new UsageException("--network " + dir + ": more than " + (MOST_PACKED >> 20) + " MiB of files, too"
                            + " much to travel with the job: put the network on a path every worker sees and add --network-shared");
                }
                packed.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        } catch (IOException e) {
            throw new UsageException("--network " + dir + ": cannot read it (" + e.getMessage() + ")");
        }
        return packed;
    }

    /**
     * Worker side: writes a packed directory's files into {@code to}, a new directory inside this
     * replay's private temporary one, with permissions for this user alone; never through a link
     * (files are created new, links not followed) and never outside {@code to} (a name with a
     * separator, or . or .., is refused).
     */
    static Path unpack(Map<String, byte[]> packed, Path to) throws IOException {
        java.nio.file.attribute.FileAttribute<?> privateDir = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        java.nio.file.attribute.FileAttribute<?> privateFile = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        boolean posix = to.getFileSystem().supportedFileAttributeViews().contains("posix");
        if (posix) {
            Files.createDirectory(to, privateDir);
        } else {
            Files.createDirectory(to);
        }
        for (Map.Entry<String, byte[]> f : packed.entrySet()) {
            String name = f.getKey();
            if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\")
                    || name.indexOf('\0') >= 0) {
                throw new IllegalStateException("a packed directory holds a file named '" + name + "', which is no plain file name");
            }
            Path file = to.resolve(name);
            java.util.Set<java.nio.file.OpenOption> options = java.util.Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            try (java.nio.channels.SeekableByteChannel out = posix ? Files.newByteChannel(file, options, privateFile)
                    : Files.newByteChannel(file, options)) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(f.getValue());
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
        }
        return to;
    }

    /** Ends a replayed command once its share of tasks is computed. An Error, so that no command catches it. */
    private static final class Captured extends Error {
        private static final long serialVersionUID = 1L;
        final transient Outcome outcome;

        Captured(Outcome outcome) {
            super(null, null, false, false);
            this.outcome = outcome;
        }
    }

    /** The worker's backend: earlier calls answered from the driver's results, then its own tasks of one call. */
    private static final class Worker implements Backend {
        private final Replay replay;
        private final int parallelism;
        private final int call;
        private final List<? extends List<? extends Serializable>> earlier;
        private final int from;
        private final int to;
        int calls;
        /** External simulators this replay started, or null. */
        Model model;
        /** Threads to run this worker's tasks on: one per simulator started, else one. */
        int threads = 1;

        Worker(Replay replay, int parallelism, int call, List<? extends List<? extends Serializable>> earlier, int from, int to) {
            this.replay = replay;
            this.parallelism = parallelism;
            this.call = call;
            this.earlier = earlier;
            this.from = from;
            this.to = to;
        }

        /**
         * The driver's parallelism, so that engines cut their work alike; but the worker's own
         * threads where it started simulators: engines bound the runs they advance at once by the
         * model's simulators per thread of the backend (IndependentRuns), one as locally, where a
         * command runs one thread per simulator.
         */
        @Override
        public int parallelism() {
            return model != null ? threads : parallelism;
        }

        @Override
        public <R extends Serializable> List<R> map(int count, Task<R> task) {
            int now = calls++;
            if (now < call) {
                List<? extends Serializable> done = earlier.get(now);
                if (done.size() != count) {
                    throw new IllegalStateException("replay diverged: call " + now + " has " + count + " tasks here, "
                            + done.size() + " where it first ran");
                }
                @SuppressWarnings("unchecked")
                List<R> typed = (List<R>) done;
                return typed;
            }
            if (to > count) {
                throw new IllegalStateException("replay diverged: call " + now + " has " + count + " tasks here, asked for "
                        + to);
            }
            // On deep-stacked worker threads as locally (one, or one per simulator), starting no task
            // after a failed one: the tasks before the lowest-numbered failure and that failure.
            int n = to - from;
            Object[] done = new Object[n];
            RuntimeException[] failure = new RuntimeException[n];
            AtomicInteger failed = new AtomicInteger(n);
            RuntimeException crashed = null;
            try {
                Backend.threads(threads).map(n, i -> {
                    if (i < failed.get()) {
                        try {
                            done[i] = task.run(from + i);
                        } catch (RuntimeException e) {
                            failure[i] = e;
                            failed.accumulateAndGet(i, Math::min);
                        }
                    }
                    return Boolean.TRUE;
                });
            } catch (RuntimeException e) {
                // The workers themselves failed (interrupted): the task cancelled.
                crashed = e;
            }
            int first = failed.get();
            List<Serializable> results = new ArrayList<>(first);
            for (int i = 0; i < first && (crashed == null || done[i] != null); i++) {
                results.add((Serializable) done[i]);
            }
            String identity = model == null ? null : model.identity();
            if (crashed != null && results.size() < first) {
                throw new Captured(new Outcome(from, results, crashed, from + results.size(), identity));
            }
            throw new Captured(new Outcome(from, results, first < n ? failure[first] : null, first < n ? from + first : -1,
                    identity));
        }
    }
}
