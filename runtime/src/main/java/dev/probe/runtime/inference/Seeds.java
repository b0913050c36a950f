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
        // Two SplitMix64 outputs of distinct inputs seed a xoroshiro128++ generator.
        long base = mix(seed) ^ (index * 0xD1B54A32D192ED03L);
        long s0 = mix(base + 0x9E3779B97F4A7C15L);
        long s1 = mix(base + 0x3C6EF372FE94F82AL);
        if (s0 == 0 && s1 == 0) {
            s1 = 1;
        }
        return new XoRoShiRo128PlusPlus(s0, s1);
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
