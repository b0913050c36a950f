package dev.probe.cli;

import dev.probe.runtime.ProbeException;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * On the driver of a cluster job, the external simulators that each task starts for itself
 * ({@code --simulator CMD --workers-per-slot K}): the driver runs no run of the model, only the
 * engine's bookkeeping between calls of the backend. Its identity (the simulators' name and
 * version, known from their handshakes) is the one the workers report with their results, and
 * workers that report different ones (a different build on some machine) stop the command.
 */
final class ClusterSimulators implements Model {

    private final String name;
    private String identity;

    ClusterSimulators(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** A worker's simulators are {@code reported}. */
    synchronized void heard(String reported) {
        if (identity == null) {
            identity = reported;
        } else if (!identity.equals(reported)) {
            throw new ProbeException("the cluster's workers run different simulators for " + name + ": " + identity
                    + " on one, " + reported + " on another; give every worker the same simulator build at the same path");
        }
    }

    @Override
    public synchronized String identity() {
        if (identity == null) {
            throw new IllegalStateException("no worker has reported its simulators yet: the identity of " + name
                    + " is known once the cluster has run some of its runs");
        }
        return identity;
    }

    @Override
    public Object run(Context context) {
        throw new IllegalStateException(name + ": the driver of a cluster job ran the model, whose simulators only the"
                + " cluster's tasks start; run this command with the local backend");
    }
}
