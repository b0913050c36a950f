package dev.probe.engines.smc;

import java.util.Set;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineArguments;
import dev.probe.runtime.engine.EngineProvider;
import dev.probe.runtime.inference.Proposal;

/** {@code smc}: Sequential Monte Carlo as a plug-in, with {@code --particles} (the traces), {@code --rejuvenate K}, {@code --ess-threshold F} and {@code --network DIR}. */
public final class SmcProvider implements EngineProvider {

    @Override
    public String name() {
        return "smc";
    }

    @Override
    public String description() {
        return "Sequential Monte Carlo: particles advance observation by observation, resampled and rejuvenated";
    }

    @Override
    public Set<String> options() {
        return Set.of("--rejuvenate", "--ess-threshold", "--network");
    }

    @Override
    public Engine create(EngineArguments arguments) {
        int rejuvenate = arguments.integer("--rejuvenate").orElse(0);
        if (rejuvenate < 0) {
            throw new IllegalArgumentException("--rejuvenate must not be negative, got " + rejuvenate);
        }
        double threshold = arguments.real("--ess-threshold").orElse(SequentialMonteCarlo.Options.DEFAULT.essThreshold());
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("--ess-threshold must be above 0 and at most 1, got " + threshold);
        }
        Proposal proposal = arguments.network().orElse(Proposal.PRIOR);
        return new SequentialMonteCarlo(new SequentialMonteCarlo.Options(proposal, threshold, rejuvenate));
    }
}
