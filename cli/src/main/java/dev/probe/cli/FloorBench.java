package dev.probe.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import dev.probe.models.Builtins;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.engine.Backend;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;

/**
 * {@code probe bench}'s floor: importance sampling on the Gaussian against a hand-written loop
 * that does what it must at the least, timed in interleaved pairs on one thread. It runs in a
 * JVM of its own ({@link #inChildJvm}) whose heap is fixed and touched before the work starts:
 * on a virtual machine the kernel's first touch of a fresh heap page is a costly fault, and in a
 * JVM whose heap grows as it goes, which of the two loops happened to pay for the pages decided
 * the ratio (2.6x to 8.7x in plain invocations on one quiet machine). The child's class path is
 * the command's own; its {@code java} is the one running the command.
 */
final class FloorBench {

    /** The child JVM's heap, fixed ({@code -Xms} = {@code -Xmx}) and pre-touched. */
    static final String HEAP = "3g";

    /**
     * Runs per timed inference: the same for the floor and for {@code is}, and small enough that a
     * posterior of this size (a few columns of 8 MB) is made and dropped without page faults and
     * heap growth dominating, as a whole-heap posterior of 2^26 runs did.
     */
    static final int RUNS = 1 << 20;

    /** Least number of floor-then-is pairs timed: odd, so that a median is one pair's. */
    static final int PAIRS = 21;

    /** What the child prints before each pair's six figures, so that anything else it prints is told apart. */
    private static final String PAIR = "floor-pair";

    /** A sink the floor's sums go to, so that the JIT cannot drop the loop. */
    static volatile double sink;

    private FloorBench() {
    }

    /**
     * The floor against {@code is}, from interleaved pairs: per pair, wall, process CPU and the
     * timing thread's own CPU nanoseconds of the floor and of {@code is} over {@link #RUNS} runs
     * each.
     */
    record Figures(int runs, double[] floorWall, double[] isWall, double[] floorCpu, double[] isCpu,
            double[] floorThreadCpu, double[] isThreadCpu) {
        int pairs() {
            return floorWall.length;
        }

        double floorRate() {
            return runs / (BenchCommand.medianOf(floorWall) / 1e9);
        }

        double isRate() {
            return runs / (BenchCommand.medianOf(isWall) / 1e9);
        }

        /** {@code is}'s median wall time over the floor's. */
        double wallRatio() {
            return BenchCommand.medianOf(isWall) / BenchCommand.medianOf(floorWall);
        }

        /**
         * {@code is}'s process CPU time over the floor's, summed over the pairs: the process's CPU
         * clock ticks in hundredths of a second, too coarse for one floor inference.
         */
        double cpuRatio() {
            return Arrays.stream(isCpu).sum() / Arrays.stream(floorCpu).sum();
        }

        /**
         * {@code is}'s median CPU time of the thread that ran it over the floor's: the work alone,
         * without the collector's and the compiler's threads, which a loaded machine's contention
         * inflates most.
         */
        double threadCpuRatio() {
            return BenchCommand.medianOf(isThreadCpu) / BenchCommand.medianOf(floorThreadCpu);
        }

        /** Quartile {@code q} (1, 2 or 3) of the per-pair wall-time ratios: the spread. */
        double pairRatioQuartile(int q) {
            double[] r = new double[pairs()];
            for (int k = 0; k < r.length; k++) {
                r[k] = isWall[k] / floorWall[k];
            }
            Arrays.sort(r);
            return r[Math.min(r.length - 1, q * r.length / 4)];
        }
    }

    /**
     * The child JVM's command line: this JVM's {@code java} and class path, the fixed pre-touched
     * heap, and {@link #main} given {@code seconds} and {@code repeats}.
     */
    static List<String> childCommand(double seconds, int repeats) {
        String classPath = System.getProperty("java.class.path", "");
        if (classPath.isEmpty()) {
            throw new IllegalStateException("probe bench: the floor runs in a JVM of its own on this JVM's class path,"
                    + " but java.class.path is empty; run probe from its jar (./probe or java -jar probe-cli.jar)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xms" + HEAP, "-Xmx" + HEAP, "-XX:+AlwaysPreTouch", "-cp", classPath, FloorBench.class.getName(),
                Double.toString(seconds), Integer.toString(repeats));
    }

    /**
     * {@link #measure} in a child JVM ({@link #childCommand}); its figures come back on its
     * standard output, one line per pair.
     */
    static Figures inChildJvm(double seconds, int repeats) throws IOException, InterruptedException {
        List<String> command = childCommand(seconds, repeats);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<double[]> pairs = new ArrayList<>();
        StringBuilder other = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                String[] f = line.trim().split(" ");
                if (f.length == 7 && f[0].equals(PAIR)) {
                    double[] pair = new double[6];
                    for (int c = 0; c < 6; c++) {
                        pair[c] = Long.parseLong(f[c + 1]);
                    }
                    pairs.add(pair);
                } else {
                    other.append(line).append('\n');
                }
            }
        }
        int code = child.waitFor();
        if (code != 0 || pairs.isEmpty()) {
            throw new IllegalStateException("probe bench: the floor's JVM (" + String.join(" ", command.subList(0, 4))
                    + " ...) ended with exit code " + code + " and " + pairs.size() + " pairs timed; it said:\n" + other
                    + "(a machine with less free memory than " + HEAP + " cannot run the floor)");
        }
        return figures(pairs);
    }

    /**
     * The child JVM's entry point: {@link #measure} for seconds {@code args[0]} and repeats
     * {@code args[1]}, each pair printed as a line of nanoseconds.
     */
    public static void main(String[] args) {
        Figures f = measure(Double.parseDouble(args[0]), Integer.parseInt(args[1]));
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < f.pairs(); k++) {
            out.append(String.format(Locale.ROOT, "%s %d %d %d %d %d %d%n", PAIR, (long) f.floorWall[k], (long) f.isWall[k],
                    (long) f.floorCpu[k], (long) f.isCpu[k], (long) f.floorThreadCpu[k], (long) f.isThreadCpu[k]));
        }
        System.out.print(out);
        System.out.flush();
    }

    private interface Job {
        void run(int runs);
    }

    /**
     * The floor: what importance sampling on the Gaussian must do at the least, written by hand.
     * Each run draws mu from its prior and adds the likelihood weight of the two observations;
     * no trace, no posterior, one generator for all runs. It and {@code is} on the same model (a
     * whole inference: its posterior of {@link #RUNS} runs is built, then dropped) are timed
     * over the same number of runs in alternation on the calling thread, pair after pair, until the
     * pairs have taken {@code 3 * seconds * repeats} seconds and at least {@link #PAIRS}
     * were timed; medians are taken over the pairs, so that a shared machine's load, which varies
     * from second to second, falls on both alike. Run first in its JVM, before any other model's
     * runs have made the runtime's call sites polymorphic.
     */
    static Figures measure(double seconds, int repeats) {
        Normal prior = Normal.of(1, Math.sqrt(5));
        double noise = Math.sqrt(2);
        Job floor = n -> {
            org.apache.commons.rng.UniformRandomProvider rng = dev.probe.runtime.inference.Seeds.generator(1, 0);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                double mu = prior.sample(rng);
                Normal lik = Normal.of(mu, noise);
                sum += Math.exp(lik.logProb(8.0) + lik.logProb(9.0));
            }
            sink = sum;
        };
        Model gaussian = Builtins.find("gaussian").orElseThrow().create();
        // One thread, and the timing thread itself, so that its own CPU time is the work's.
        Backend here = Backend.callingThread();
        Job is = n -> Inference.importanceSampling(gaussian).observe("obs0", 8.0).observe("obs1", 9.0).traces(n).seed(1)
                .backend(here).run();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        // Warm-up: both compiled by the JIT before any pair counts.
        for (int k = 0; k < 5; k++) {
            floor.run(RUNS);
            is.run(RUNS);
        }
        List<double[]> pairs = new ArrayList<>();
        long until = System.nanoTime() + (long) (3e9 * seconds * repeats);
        while (pairs.size() < PAIRS || System.nanoTime() < until || pairs.size() % 2 == 0) {
            long c0 = processCpuNanos();
            long h0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            floor.run(RUNS);
            long t1 = System.nanoTime();
            long h1 = threads.getCurrentThreadCpuTime();
            long c1 = processCpuNanos();
            is.run(RUNS);
            long t2 = System.nanoTime();
            long h2 = threads.getCurrentThreadCpuTime();
            long c2 = processCpuNanos();
            pairs.add(new double[] {t1 - t0, t2 - t1, c1 - c0, c2 - c1, h1 - h0, h2 - h1});
        }
        return figures(pairs);
    }

    private static Figures figures(List<double[]> pairs) {
        double[][] cols = new double[6][pairs.size()];
        for (int k = 0; k < pairs.size(); k++) {
            for (int c = 0; c < 6; c++) {
                cols[c][k] = pairs.get(k)[c];
            }
        }
        return new Figures(RUNS, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]);
    }

    /** CPU time of this whole process (every thread, the collector's included), in nanoseconds. */
    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return -1;
    }
}
