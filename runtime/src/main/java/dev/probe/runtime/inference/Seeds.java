package dev.probe.runtime.inference;

import java.security.SecureRandom;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;

/**
 * Random generators derived from a root seed and a stream index (a run, a chain), so that each
 * run draws the same numbers whatever thread runs it and whatever ran before.
 */
public final class Seeds {

    private Seeds() {
    }

    /** A generator for stream {@code index} of root seed {@code seed}. */
    public static UniformRandomProvider generator(long seed, long index) {
        return new Stream(seed, index);
    }

    /**
     * A generator of streams that can be moved to another stream in place ({@link #moveTo}): an
     * engine running many short streams one after another draws exactly the numbers of
     * {@link #generator} without a new object per stream.
     */
    public static Stream stream(long seed, long index) {
        return new Stream(seed, index);
    }

    /** The generator of one stream at a time; see {@link #stream}. */
    public static final class Stream extends XoRoShiRo128PlusPlus {
        /** The root seed last moved to, and its mix: a run's stream then costs two mixes, not four. */
        private long seed;
        private long mixedSeed;

        private Stream(long seed, long index) {
            super(first(base(mix(seed), index)), second(base(mix(seed), index)));
            this.seed = seed;
            this.mixedSeed = mix(seed);
        }

        /** Starts stream {@code index} of root seed {@code seed}, as {@link #generator} would; returns this. */
        public Stream moveTo(long seed, long index) {
            if (seed != this.seed) {
                this.seed = seed;
                mixedSeed = mix(seed);
            }
            long base = base(mixedSeed, index);
            state0 = first(base);
            state1 = second(base);
            resetCachedState();
            return this;
        }
    }

    // Two SplitMix64 outputs of distinct inputs seed a xoroshiro128++ generator.

    private static long base(long mixedSeed, long index) {
        return mixedSeed ^ (index * 0xD1B54A32D192ED03L);
    }

    private static long first(long base) {
        return mix(base + 0x9E3779B97F4A7C15L);
    }

    private static long second(long base) {
        long s1 = mix(base + 0x3C6EF372FE94F82AL);
        return s1 == 0 && first(base) == 0 ? 1 : s1;
    }

    /** A fresh seed for a user who gave none; it is printed so the result can be reproduced. */
    public static long fresh() {
        // Seeds print as decimal and should be easy to type again.
        return new SecureRandom().nextInt(Integer.MAX_VALUE);
    }

    /** The SplitMix64 finaliser. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
