package dev.probe.runtime.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.commons.rng.UniformRandomProvider;
import org.junit.jupiter.api.Test;

class SeedsTest {

    @Test
    void aStreamMovedInPlaceDrawsWhatAFreshGeneratorDraws() {
        Seeds.Stream moved = Seeds.stream(7, 0);
        // Half-used state (a cached int and boolean) must not leak into the next stream.
        moved.nextInt();
        moved.nextBoolean();
        for (long index : new long[] {3, 0, -1, 1L << 40, 1023}) {
            moved.moveTo(7, index);
            UniformRandomProvider fresh = Seeds.generator(7, index);
            for (int k = 0; k < 20; k++) {
                assertEquals(fresh.nextLong(), moved.nextLong());
                assertEquals(fresh.nextInt(), moved.nextInt());
                assertEquals(fresh.nextDouble(), moved.nextDouble());
                assertEquals(fresh.nextBoolean(), moved.nextBoolean());
            }
        }
    }
}
