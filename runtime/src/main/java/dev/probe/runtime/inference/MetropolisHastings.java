package dev.probe.runtime.inference;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.engine.Engine;
import dev.probe.runtime.engine.EngineOptions;
import dev.probe.runtime.engine.Runner;
import dev.probe.runtime.engine.Settings;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.Diagnostics;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.PosteriorBuilder;
import dev.probe.runtime.trace.Trace;

/**
 * Lightweight single-site Metropolis-Hastings (Wingate, Stuhlmüller and Goodman 2011), as pyprob's
 * LMH and RMH: chains of {@link Runner#move} steps. Several independent chains run as tasks of the
 * settings' backend; chain c draws from generator (seed, -1 - c), so the result depends on the
 * seed alone.
 */
public final class MetropolisHastings implements Engine {

    private static final int MAX_START_ATTEMPTS = 1000;

    /**
     * Metropolis-Hastings' options.
     *
     * @param chains independent chains
     * @param burnIn steps dropped at the start of each chain; -1 for {@link #defaultBurnIn}
     * @param thin   keep every thin-th step
     */
    public record Options(int chains, int burnIn, int thin) implements EngineOptions {
        public Options {
            if (chains <= 0 || thin <= 0 || burnIn < -1) {
                throw new IllegalArgumentException("Metropolis-Hastings needs chains > 0, thin > 0 and burn-in >= 0, got "
                        + chains + ", " + thin + " and " + burnIn);
            }
        }
    }

    /**
     * What the chains did.
     *
     * @param chains     chains run
     * @param burnIn     steps dropped at the start of each
     * @param thin       every thin-th step was kept
     * @param acceptance the fraction of steps whose proposal was accepted
     */
    public record Report(int chains, int burnIn, int thin, double acceptance) implements Diagnostics {
        @Override
        public List<Figure> figures() {
            return List.of(Figure.count("chains", "chains", chains), Figure.count("burn_in", "burn-in", burnIn),
                    Figure.count("thin", "thin", thin), Figure.real("acceptance", "acceptance", acceptance));
        }
    }

    private final Options options;

    public MetropolisHastings(Options options) {
        this.options = options;
    }

    @Override
    public String name() {
        return "rmh";
    }

    @Override
    public Options options() {
        return options;
    }

    /** The burn-in used when none is given: a fifth of each chain's kept samples, at least 200 steps. */
    public static int defaultBurnIn(int keptPerChain) {
        return Math.max(200, keptPerChain / 5);
    }

    /** One chain's kept samples, its accepted steps and the observations it met. */
    private record Chain(PosteriorBuilder.Chunk chunk, long accepted, TreeSet<String> observed) implements Serializable {
    }

    @Override
    public Posterior run(Settings settings) {
        int n = settings.traces();
        int chains = Math.min(options.chains(), n);
        int[] lengths = new int[chains];
        int[] offsets = new int[chains];
        for (int c = 0, off = 0; c < chains; c++) {
            lengths[c] = n / chains + (c < n % chains ? 1 : 0);
            offsets[c] = off;
            off += lengths[c];
        }
        int burnIn = options.burnIn() >= 0 ? options.burnIn() : defaultBurnIn(lengths[0]);
        int thin = options.thin();
        long totalSteps = 0;
        for (int len : lengths) {
            totalSteps += burnIn + (long) len * thin;
        }
        long total = totalSteps;
        AtomicLong stepsDone = new AtomicLong();
        List<Chain> results = settings.backend().map(chains, c -> {
            Runner runner = Runner.conditioning(settings);
            PosteriorBuilder.Chunk chunk = PosteriorBuilder.chunk(offsets[c], lengths[c], settings.recordAddresses(),
                    settings.keepTraces(), settings.observations().names());
            long accepted = chain(settings, runner, c, burnIn, thin, offsets[c], lengths[c], chunk, stepsDone, total);
            return new Chain(chunk, accepted, new TreeSet<>(runner.observedNames()));
        });
        PosteriorBuilder builder = new PosteriorBuilder(n, settings.recordAddresses(), settings.keepTraces(),
                settings.observations().names());
        Set<String> observedAll = new HashSet<>();
        long accepted = 0;
        for (Chain chain : results) {
            builder.add(chain.chunk());
            observedAll.addAll(chain.observed());
            accepted += chain.accepted();
        }
        ImportanceSampling.checkObservedNames(settings.observations(), new TreeSet<>(observedAll));
        Report report = new Report(chains, burnIn, thin, accepted / (double) totalSteps);
        return builder.build(Double.NaN, lengths, settings.provenance(this), report);
    }

    private static long chain(Settings settings, Runner runner, int c, int burnIn, int thin, int offset, int length,
            PosteriorBuilder.Chunk chunk, AtomicLong stepsDone, long total) {
        UniformRandomProvider rng = Seeds.generator(settings.seed(), -1L - c);
        Trace current = start(runner, rng, c);
        long steps = burnIn + (long) length * thin;
        long accepted = 0;
        int kept = 0;
        for (long step = 0; step < steps; step++) {
            Runner.Move move = runner.move(current, rng, dev.probe.runtime.engine.Policy.TO_THE_END, c);
            current = move.trace();
            if (move.accepted()) {
                accepted++;
            }
            if (step >= burnIn && (step - burnIn) % thin == 0) {
                chunk.record(offset + kept, current);
                kept++;
            }
            if ((step & 1023) == 1023) {
                settings.progress().progress(stepsDone.addAndGet(1024), total);
            }
        }
        return accepted;
    }

    private static Trace start(Runner runner, UniformRandomProvider rng, int c) {
        for (int attempt = 0; attempt < MAX_START_ATTEMPTS; attempt++) {
            Trace t = runner.start(rng, dev.probe.runtime.engine.Policy.TO_THE_END, c);
            if (t != null) {
                return t;
            }
        }
        throw new ModelException("Metropolis-Hastings chain " + c + " found no starting point: " + MAX_START_ATTEMPTS
                + " runs from the prior all had zero probability under the observations");
    }
}
