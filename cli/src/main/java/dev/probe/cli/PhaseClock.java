package dev.probe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * CPU time of {@code probe infer}'s phases, for measuring what each costs in a fresh process
 * (docs/benchmarks.md): with {@code -Dprobe.phases=true} (PROBE_JAVA_OPTS) the command prints, on
 * standard error, each phase's CPU on the calling thread and in the whole process (the JIT's
 * compiler threads, the garbage collector and the parallel workers included). The thread's time is
 * the JVM's own clock of it (its management bean, loaded when the clock starts, before the first
 * phase); the process's is the sum of Linux's per-thread scheduler statistics (nanoseconds, but a
 * running thread's figure may lag by a scheduler tick, and threads that ended are not counted), so
 * read it over several runs. Elsewhere it prints nothing.
 */
final class PhaseClock {

    private final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    private final StringBuilder line = new StringBuilder("probe: phases, CPU ms (this thread / process):");
    private long thread;
    private long process;

    private PhaseClock() {
        thread = threadNanos();
        process = processNanos();
    }

    /** A clock started now, or null unless -Dprobe.phases=true and /proc gives the figures. */
    static PhaseClock start() {
        return Boolean.getBoolean("probe.phases") && processNanos() >= 0 ? new PhaseClock() : null;
    }

    /** Ends the phase called {@code name}, which began at the last mark. */
    void mark(String name) {
        long t = threadNanos();
        long p = processNanos();
        line.append(String.format(Locale.ROOT, " %s %.2f / %.2f;", name, (t - thread) / 1e6, (p - process) / 1e6));
        thread = threadNanos();
        process = processNanos();
    }

    /** The phases measured, as one line. */
    String line() {
        return line.toString();
    }

    /** The calling thread's CPU time in ns. */
    private long threadNanos() {
        return threads.getCurrentThreadCpuTime();
    }

    /** The process's CPU time in ns: its live threads' sum, or -1 when /proc does not tell. */
    private static long processNanos() {
        long sum = 0;
        try (var tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                sum += Math.max(0, schedstat(task.resolve("schedstat")));
            }
        } catch (IOException e) {
            return -1;
        }
        return sum;
    }

    private static long schedstat(Path file) {
        try {
            String s = Files.readString(file);
            return Long.parseLong(s.substring(0, s.indexOf(' ')));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
