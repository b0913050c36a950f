package dev.probe.engines.smc;

import java.util.Set;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineArguments;
import dev.probe.runtime.engine.EngineProvider;
import dev.probe.runtime.inference.Proposal;

/**
 * {@code smc-tempered}: tempered SMC as a plug-in, with {@code --particles} (the traces),
 * {@code --cess F}, {@code --ess-threshold F}, {@code --rejuvenate K}, {@code --max-rounds M}, {@code --jump J} and
 * {@code --network DIR}.
 */
public final class TemperedSmcProvider implements EngineProvider {

    @Override
    public String name() {
        return "smc-tempered";
    }

    @Override
    public String description() {
        return "tempered SMC: whole runs from the prior or a network, carried to the posterior in adaptive temperatures with"
                + " Metropolis-Hastings moves";
    }

    @Override
    public Set<String> options() {
        return Set.of("--cess", "--rejuvenate", "--max-rounds", "--jump", "--ess-threshold", "--network");
    }

    @Override
    public Engine create(EngineArguments arguments) {
        TemperedSmc.Options defaults = TemperedSmc.Options.DEFAULT;
        int rejuvenate = arguments.integer("--rejuvenate").orElse(defaults.rejuvenate());
        if (rejuvenate < 0) {
            throw new IllegalArgumentException("--rejuvenate must not be negative, got " + rejuvenate);
        }
        int maxRounds = arguments.integer("--max-rounds").orElse(Math.max(rejuvenate, defaults.maxRounds()));
        if (maxRounds < rejuvenate || maxRounds > TemperedSmc.MAX_ROUNDS) {
            throw new IllegalArgumentException("--max-rounds must be from --rejuvenate (" + rejuvenate + ") to "
                    + TemperedSmc.MAX_ROUNDS + ", got " + maxRounds);
        }
        double jump = arguments.real("--jump").orElse(defaults.jump());
        if (!(jump >= 0) || Double.isInfinite(jump)) {
            throw new IllegalArgumentException("--jump must be a finite number, 0 or more, got " + jump);
        }
        double cess = arguments.real("--cess").orElse(defaults.cess());
        if (!(cess > 0 && cess < 1)) {
            throw new IllegalArgumentException("--cess must be above 0 and under 1, got " + cess);
        }
        double threshold = arguments.real("--ess-threshold").orElse(defaults.essThreshold());
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("--ess-threshold must be above 0 and at most 1, got " + threshold);
        }
        Proposal proposal = arguments.network().orElse(Proposal.PRIOR);
        return new TemperedSmc(new TemperedSmc.Options(proposal, cess, threshold, rejuvenate, maxRounds, jump));
    }
}
