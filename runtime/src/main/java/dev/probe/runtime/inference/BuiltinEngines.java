package dev.probe.runtime.inference;

import java.util.Set;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineArguments;
import dev.probe.runtime.engine.EngineProvider;

/** The runtime's engines as plug-ins: prior, is and rmh. */
public final class BuiltinEngines {

    private BuiltinEngines() {
    }

    /** {@code prior}: prior sampling. */
    public static final class Prior implements EngineProvider {
        @Override
        public String name() {
            return "prior";
        }

        @Override
        public String description() {
            return "runs from the prior; observations with no value are simulated";
        }

        @Override
        public Engine create(EngineArguments arguments) {
            return ImportanceSampling.prior();
        }
    }

    /** {@code is}: importance sampling with the prior as the proposal. */
    public static final class Importance implements EngineProvider {
        @Override
        public String name() {
            return "is";
        }

        @Override
        public String description() {
            return "importance sampling from the prior";
        }

        @Override
        public Engine create(EngineArguments arguments) {
            return ImportanceSampling.weighted(Proposal.PRIOR);
        }
    }

    /** {@code rmh}: single-site Metropolis-Hastings. */
    public static final class Rmh implements EngineProvider {
        @Override
        public String name() {
            return "rmh";
        }

        @Override
        public String description() {
            return "single-site Metropolis-Hastings (chains of local moves)";
        }

        @Override
        public Set<String> options() {
            return Set.of("--chains", "--burn-in", "--thin");
        }

        @Override
        public Engine create(EngineArguments arguments) {
            int chains = arguments.integer("--chains").orElse(Inference.DEFAULT_CHAINS);
            java.util.OptionalInt given = arguments.integer("--burn-in");
            if (given.isPresent() && given.getAsInt() < 0) {
                throw new IllegalArgumentException("--burn-in must not be negative, got " + given.getAsInt());
            }
            int burnIn = given.orElse(-1);
            int thin = arguments.integer("--thin").orElse(1);
            if (chains <= 0) {
                throw new IllegalArgumentException("--chains must be positive, got " + chains);
            }
            if (thin <= 0) {
                throw new IllegalArgumentException("--thin must be positive, got " + thin);
            }
            return new MetropolisHastings(new MetropolisHastings.Options(chains, burnIn, thin));
        }
    }
}
