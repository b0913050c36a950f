package dev.probe.proposals;

/** A trained-network directory that cannot be used: missing, damaged, of another version or another model. */
public final class ArtifactException extends IllegalArgumentException {

    public ArtifactException(String message) {
        super(message);
    }
}
