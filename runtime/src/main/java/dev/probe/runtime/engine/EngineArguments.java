package dev.probe.runtime.engine;

import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

import dev.probe.runtime.inference.Proposal;

/**
 * What the command line gave for an engine's own options, by option name ({@code "--chains"}),
 * which an {@link EngineProvider} turns into its typed {@link EngineOptions}.
 */
public interface EngineArguments {

    /** A whole-number option, if given. */
    OptionalInt integer(String option);

    /** A real-number option, if given. */
    OptionalDouble real(String option);

    /** The trained network's proposal, if {@code --network} was given. */
    Optional<Proposal> network();
}
