package dev.probe.proposals;

/** A trained-network directory that cannot be used: missing, damaged, of another version or another model. */
public final class ArtifactException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** What is wrong, for front ends that say how to make the right network in their own terms. */
    public enum Problem {
        /** The directory holds no trained network. */
        NOT_A_NETWORK,
        /** The network was trained for another model. */
        OTHER_MODEL,
        /** The network is damaged or of a version this Probe cannot read. */
        UNREADABLE
    }

    private final Problem problem;

    public ArtifactException(String message) {
        this(message, Problem.UNREADABLE);
    }

    public ArtifactException(String message, Problem problem) {
        super(message);
        this.problem = problem;
    }

    /** What is wrong. */
    public Problem problem() {
        return problem;
    }
}
