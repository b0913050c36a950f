package dev.probe.runtime.model;

import dev.probe.runtime.ProbeException;

/** An error in a model: an invalid distribution parameter, a missing observation, a failed run. */
public class ModelException extends ProbeException {

    private static final long serialVersionUID = 1L;

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
