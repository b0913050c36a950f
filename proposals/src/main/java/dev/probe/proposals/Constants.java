package dev.probe.proposals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Numbers for arithmetic that autograd records. DJL's {@code x.mul(0.5)}, {@code x.maximum(0)} and
 * their kin wrap the number in an array whose memory is a Java direct buffer, and close that array as
 * soon as the operation returns; where autograd keeps it for the backward pass (the other factor of
 * a product, the divisor of a quotient, the bound of a maximum), a garbage collection in between
 * frees the buffer and the backward pass reads whatever has taken its place. One seed then no longer
 * gave one network (docs/planing.md). The arrays made here live in PyTorch's own memory, which
 * autograd keeps alive for as long as it needs them; in code that autograd records, write every
 * number through {@link #of}.
 */
public final class Constants {

    private Constants() {
    }

    /** {@code value} as a float32 scalar array in PyTorch's memory, attached to {@code manager}. */
    public static NDArray of(NDManager manager, double value) {
        return manager.full(new Shape(), (float) value);
    }
}
