package dev.probe.runtime.model;

import java.util.Objects;

/** A model under another name. Its frame is left out of call-site addresses: it adds no place. */
final class NamedModel implements Model {

    private final String name;
    private final Model body;

    NamedModel(String name, Model body) {
        this.name = Objects.requireNonNull(name, "name");
        this.body = Objects.requireNonNull(body, "body");
    }

    @Override
    public Object run(Context context) {
        return body.run(context);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int[] observationShape(String name) {
        return body.observationShape(name);
    }

    @Override
    public int maxConcurrentRuns() {
        return body.maxConcurrentRuns();
    }

    @Override
    public int runsPerThread() {
        return body.runsPerThread();
    }

    @Override
    public boolean startsAhead() {
        return body.startsAhead();
    }

    @Override
    public int startAhead(java.util.List<? extends Context> runs) {
        return body.startAhead(runs);
    }

    /** The body's own identity where it has one; otherwise the new name. */
    @Override
    public String identity() {
        String own = body.identity();
        return own.equals(body.name()) ? name : own;
    }
}
