package dev.probe.compiler;

/** Independent seeds for the streams of one training (validation, each block of runs, shuffles). */
final class Streams {

    private Streams() {
    }

    /** A seed for stream {@code stream} under root seed {@code seed} (SplitMix64's finaliser over both). */
    static long seed(long seed, long stream) {
        long z = seed + 0x9E3779B97F4A7C15L * (stream + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
