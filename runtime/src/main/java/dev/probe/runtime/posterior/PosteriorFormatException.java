package dev.probe.runtime.posterior;

import dev.probe.runtime.ProbeException;

/** A posterior file that cannot be read: not one, a newer format, or damaged. */
public final class PosteriorFormatException extends ProbeException {

    private static final long serialVersionUID = 1L;

    public PosteriorFormatException(String message) {
        super(message);
    }
}
