package dev.probe.runtime;

/**
 * The root of the errors Probe reports to its users. Its message is written for a person: it
 * names the place and the fix. Front ends map subclasses to exit codes.
 */
public class ProbeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ProbeException(String message) {
        super(message);
    }

    public ProbeException(String message, Throwable cause) {
        super(message, cause);
    }
}
