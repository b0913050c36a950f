package dev.probe.cli;

import java.util.Set;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineArguments;
import dev.probe.runtime.engine.EngineProvider;
import dev.probe.runtime.inference.ImportanceSampling;

/** {@code ic}: inference compilation, importance sampling whose proposal is the network of {@code --network}. */
public final class IcEngineProvider implements EngineProvider {

    @Override
    public String name() {
        return "ic";
    }

    @Override
    public String description() {
        return "inference compilation: importance sampling with a trained network's proposals (--network DIR)";
    }

    @Override
    public Set<String> options() {
        return Set.of("--network");
    }

    @Override
    public Engine create(EngineArguments arguments) {
        return ImportanceSampling.named("ic", arguments.network().orElseThrow(() -> new IllegalArgumentException(
                "--engine ic needs --network DIR: a network trained for this model with probe compile MODEL --out DIR")));
    }
}
