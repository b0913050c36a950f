package dev.probe.runtime;

/**
 * An external simulator failed: it died, stalled, broke the protocol, or none attached. Front ends
 * exit with code 4.
 */
public class SimulatorException extends ProbeException {

    private static final long serialVersionUID = 1L;

    public SimulatorException(String message) {
        super(message);
    }

    public SimulatorException(String message, Throwable cause) {
        super(message, cause);
    }
}
