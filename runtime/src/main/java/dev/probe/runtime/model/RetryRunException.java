package dev.probe.runtime.model;

import dev.probe.runtime.ProbeException;

/**
 * Thrown by a model whose run was lost through no fault of the model (an external simulator died
 * or stalled mid-run): the engine runs it again from the start, with the same random numbers, a
 * few times before it gives up. A run is never counted twice.
 */
public class RetryRunException extends ProbeException {

    private static final long serialVersionUID = 1L;

    public RetryRunException(String message) {
        super(message);
    }
}
