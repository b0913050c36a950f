package dev.probe.engines.example;

import java.io.Serializable;
import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineOptions;
import dev.probe.runtime.engine.Policy;
import dev.probe.runtime.engine.Runner;
import dev.probe.runtime.engine.Settings;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.posterior.Diagnostics;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.PosteriorBuilder;
import dev.probe.runtime.trace.Trace;

/**
 * Independence Metropolis-Hastings: each step proposes a whole run from the prior and accepts it
 * with the ratio of the likelihoods. A complete engine on the public interface alone.
 */
public final class IndependenceSampler implements Engine {

    /** @param chains independent chains, each a task of the backend */
    public record Options(int chains) implements EngineOptions {
    }

    /** @param acceptance the fraction of proposals accepted */
    public record Report(double acceptance) implements Diagnostics {
        @Override
        public List<Figure> figures() {
            return List.of(Figure.real("acceptance", "acceptance", acceptance));
        }
    }

    /** One chain's samples and how many proposals it accepted. */
    private record Chain(PosteriorBuilder.Chunk samples, long accepted) implements Serializable {
    }

    private final Options options;

    public IndependenceSampler(Options options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "independence";
    }

    @Override
    public Options options() {
        return options;
    }

    @Override
    public Posterior run(Settings settings) {
        int n = settings.traces();
        int chains = Math.min(options.chains(), n);
        int length = n / chains;
        List<Chain> done = settings.backend().map(chains, c -> {
            int start = c * length;
            int size = c == chains - 1 ? n - start : length;
            Runner runner = Runner.conditioning(settings);
            UniformRandomProvider rng = Seeds.generator(settings.seed(), -1L - c);
            PosteriorBuilder.Chunk samples = PosteriorBuilder.chunk(start, size, settings.recordAddresses(),
                    settings.keepTraces(), settings.observations().names());
            Trace current = runner.run(Policy.prior(), rng, c).trace();
            long accepted = 0;
            for (int i = 0; i < size; i++) {
                Trace proposed = runner.run(Policy.prior(), rng, c).trace();
                double logAlpha = proposed.logLikelihood() - current.logLikelihood();
                if (logAlpha >= 0 || Math.log(rng.nextDouble()) < logAlpha) {
                    current = proposed;
                    accepted++;
                }
                // Samples are unweighted: the chain's state, with log weight 0.
                samples.record(start + i, new Trace(current.variables().toArray(new dev.probe.runtime.trace.Variable[0]),
                        current.logPrior(), current.logLikelihood(), 0, current.result()));
            }
            return new Chain(samples, accepted);
        });
        PosteriorBuilder builder = new PosteriorBuilder(n, settings.recordAddresses(), settings.keepTraces(),
                settings.observations().names());
        long accepted = 0;
        int[] lengths = new int[chains];
        for (int c = 0; c < chains; c++) {
            builder.add(done.get(c).samples());
            accepted += done.get(c).accepted();
            lengths[c] = c == chains - 1 ? n - c * length : length;
        }
        return builder.build(Double.NaN, lengths, settings.provenance(this), new Report(accepted / (double) n));
    }
}
