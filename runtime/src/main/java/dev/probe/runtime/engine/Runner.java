package dev.probe.runtime.engine;

import java.util.HashSet;
import java.util.Set;

import org.apache.commons.rng.RandomProviderState;
import org.apache.commons.rng.RestorableUniformRandomProvider;
import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.model.CallSites;
import dev.probe.runtime.model.RunAbandoned;
import dev.probe.runtime.trace.Trace;

/**
 * Runs the model of an inference for an engine, one run at a time, on one thread: the runtime's
 * side of every engine. It does what no engine should do itself: addressing (names, call sites),
 * instance counting, matching observations to the values given, rejection loops, the
 * importance correction of proposed choices, replaying an earlier trace, stopping at an
 * observation, and retrying a run that its model source lost (a dead simulator) from the same
 * random numbers. An engine makes one runner per thread (or task) and asks it for runs
 * ({@link #run}) or Metropolis-Hastings moves ({@link #move}); a runner is not thread-safe.
 */
public final class Runner {

    private final Settings settings;
    private final boolean conditioning;
    private final CallSites callSites = Execution.callSites();
    private final Set<String> observedNames = new HashSet<>();
    private ProposalExecution execution;
    private Proposal executionProposal;
    private SingleSiteMoves moves;
    private SingleSiteMoves bridgedMoves;
    private Proposal bridge;
    private long proposed;
    private long fallbacks;
    private long uncontrolled;

    private Runner(Settings settings, boolean conditioning) {
        this.settings = settings;
        this.conditioning = conditioning;
    }

    /** A runner that conditions on the observations: an observation with no value given is an error. */
    public static Runner conditioning(Settings settings) {
        return new Runner(settings, true);
    }

    /** A runner that simulates observations with no value given (prior sampling, training data). */
    public static Runner simulating(Settings settings) {
        return new Runner(settings, false);
    }

    /**
     * Runs the model once under {@code policy}, drawing from {@code rng}. A run lost by its model
     * source is run again from the same state of {@code rng} (which must then be restorable, as
     * {@link dev.probe.runtime.inference.Seeds} generators are), a few times; any other failure is
     * thrown as a {@link dev.probe.runtime.inference.RunException} naming {@code stream} (the run,
     * chain or particle index) and the seed.
     */
    public Run run(Policy policy, UniformRandomProvider rng, long stream) {
        ProposalExecution ex = execution(policy.proposal());
        RandomProviderState before = rng instanceof RestorableUniformRandomProvider
                ? ((RestorableUniformRandomProvider) rng).saveState() : null;
        boolean[] finished = new boolean[1];
        Object result = IndependentRuns.retrying(() -> {
            ex.begin(rng, null, 0);
            if (policy.replay() != null) {
                ex.replay(policy.replay());
            }
            ex.stopAfter(policy.observationLimit());
            try {
                Object r = ex.runModel(settings.model());
                finished[0] = true;
                return r;
            } catch (RunAbandoned stop) {
                finished[0] = false;
                return null;
            }
        }, () -> restore(rng, before), "run", "run", stream, settings.seed());
        double correction = ex.logImportanceWeight() - ex.logLikelihood;
        Trace trace = ex.finish(result, ex.logImportanceWeight());
        long[] counts = ex.takeCounts();
        proposed += counts[0];
        fallbacks += counts[1];
        uncontrolled += counts[2];
        return new Run(trace, correction, ex.observationsMet(), finished[0]);
    }

    /**
     * One step of single-site Metropolis-Hastings from {@code current} (a trace this runner or a
     * {@link Policy#prior()} run made): see docs/engines.md for the kernel. The model runs up to
     * {@code observationLimit} observations, so the target is the posterior given those. Returns
     * the next state: a new trace when the move was accepted, {@code current} otherwise.
     */
    public Move move(Trace current, UniformRandomProvider rng, int observationLimit, long stream) {
        if (moves == null) {
            moves = new SingleSiteMoves(settings, callSites, observedNames);
        }
        return moves.step(current, rng, observationLimit, stream);
    }

    /**
     * One step of the same kernel with a tempered target, for tempered SMC: p(x) L(x)^temperature
     * q(x)^(1 - temperature), where q is {@code bridge}'s proposal (with {@link Proposal#PRIOR},
     * the likelihood tempered: p(x) L(x)^temperature). {@code correction} is the current state's
     * log p - log q over its controlled choices, as {@link Run#logCorrection} gave it for a whole
     * run proposed by {@code bridge} (0 for the prior); the move returns the next state's. The
     * model runs to its end. A marked rejection loop under a bridge other than the prior is an error.
     */
    public TemperedMove move(Trace current, double correction, Proposal bridge, double temperature,
            UniformRandomProvider rng, long stream) {
        return tempered(bridge, temperature).step(current, correction, temperature, rng, Policy.TO_THE_END, stream);
    }

    /**
     * A block random walk for {@link #walk}: the choices at {@code addresses} (instances
     * {@code instances}), real valued, move together by {@code factor} z, z standard normal and
     * {@code factor} lower triangular (the Cholesky factor of the walk's covariance).
     */
    public record Walk(dev.probe.runtime.model.Address[] addresses, int[] instances, double[][] factor)
            implements java.io.Serializable {
        public Walk {
            if (addresses.length != instances.length || factor.length != addresses.length) {
                throw new IllegalArgumentException("a walk needs one instance and one factor row per address");
            }
        }
    }

    /**
     * One block random-walk step with the tempered target of
     * {@link #move(Trace, double, Proposal, double, UniformRandomProvider, long)}: all of
     * {@code walk}'s sites move at once and the model is replayed with them (the other choices
     * reused as by a single-site move). The walk is symmetric, so the ratio is the targets'; a
     * state or proposal without one of its sites is rejected.
     */
    public TemperedMove walk(Trace current, double correction, Proposal bridge, double temperature, Walk walk,
            UniformRandomProvider rng, long stream) {
        return tempered(bridge, temperature).walk(current, correction, temperature, walk, rng, stream);
    }

    /** The moves whose tempered targets bridge from {@code bridge}'s proposal, after checking the temperature. */
    private SingleSiteMoves tempered(Proposal bridge, double temperature) {
        if (!(temperature >= 0 && temperature <= 1)) {
            throw new IllegalArgumentException("a temperature is between 0 and 1, got " + temperature);
        }
        if (bridgedMoves == null || this.bridge != bridge) {
            bridgedMoves = new SingleSiteMoves(settings, callSites, observedNames, bridge);
            this.bridge = bridge;
        }
        return bridgedMoves;
    }

    /**
     * The outcome of a tempered {@link #move(Trace, double, Proposal, double, UniformRandomProvider, long)}:
     * the next state, its bridge correction, and whether the proposal was accepted.
     */
    public record TemperedMove(Trace trace, double correction, boolean accepted) {
    }

    /**
     * A first state for {@link #move}: a run with every choice from the prior (rejection loops
     * kept whole), up to {@code observationLimit} observations; null when it has zero probability.
     */
    public Trace start(UniformRandomProvider rng, int observationLimit, long stream) {
        if (moves == null) {
            moves = new SingleSiteMoves(settings, callSites, observedNames);
        }
        return moves.fresh(rng, observationLimit, stream);
    }

    /** The outcome of a {@link #move}: the next state and whether the proposal was accepted. */
    public record Move(Trace trace, boolean accepted) {
    }

    /** The names of the observations the runs so far met. */
    public Set<String> observedNames() {
        return observedNames;
    }

    /** Choices drawn from a proposal other than the prior, over the runs so far. */
    public long proposed() {
        return proposed;
    }

    /** Controlled choices for which the proposal had nothing, drawn from the prior instead. */
    public long fallbacks() {
        return fallbacks;
    }

    /** Choices marked uncontrolled, drawn from the prior although a proposal was there. */
    public long uncontrolled() {
        return uncontrolled;
    }

    private ProposalExecution execution(Proposal proposal) {
        if (execution == null || executionProposal != proposal) {
            execution = new ProposalExecution(settings.observations(), conditioning, callSites, observedNames, proposal);
            executionProposal = proposal;
        }
        return execution;
    }

    static void restore(UniformRandomProvider rng, RandomProviderState state) {
        if (state == null) {
            throw new IllegalStateException("a lost run cannot be retried: its generator is not restorable");
        }
        ((RestorableUniformRandomProvider) rng).restoreState(state);
    }
}
