package dev.probe.proposals;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.inference.RunGroup;
import dev.probe.runtime.model.Address;

/**
 * Inference compilation's proposal: each controlled choice is proposed by a trained network given
 * the observations and the run's earlier choices. A choice at an address the network never saw,
 * or whose prior no head fits, gets no proposal, so the engine draws it from its prior and counts
 * it as a fallback.
 *
 * <p>The network is deterministic, so whatever depends only on the observations is computed once
 * per inference and shared by all runs: the observation embedding and the whole first step of
 * every run (its state and proposal). A model with one latent choice needs no network call per run.
 */
public final class NetworkProposal implements Proposal {

    private final ProposalNetwork network;
    private final double priorMix;
    private final int groupSize;
    /** The observations last seen, their embedding and the first steps computed for them. */
    private volatile Cache cache;
    private final AtomicLong networkSteps = new AtomicLong();

    private record Cache(Observations observations, float[] embedding, ConcurrentHashMap<Long, float[][]> firstSteps) {
    }

    /** Runs advanced side by side by default: measured best on two cores (docs/benchmarks.md). */
    public static final int DEFAULT_GROUP = 32;

    public NetworkProposal(ProposalNetwork network) {
        this(network, 0, DEFAULT_GROUP);
    }

    /**
     * Proposals mixed with the prior: each choice comes from the prior with probability
     * {@code priorMix} (defensive importance sampling, Hesterberg 1995). Weights are then at most
     * 1 / priorMix times the likelihood, so a posterior mode the network under-covers is still
     * reached; the price is that fraction of proposals spent on the prior at every choice.
     */
    public NetworkProposal(ProposalNetwork network, double priorMix) {
        this(network, priorMix, DEFAULT_GROUP);
    }

    /**
     * @param groupSize runs advanced side by side so that their network steps after the first go
     *                  through the network together ({@link ProposalNetwork#steps}); 1 runs them
     *                  one by one. Results never depend on it being reached by timing: a batch
     *                  holds the group's running members, decided by the seed alone.
     */
    public NetworkProposal(ProposalNetwork network, double priorMix, int groupSize) {
        if (!(priorMix >= 0 && priorMix < 1)) {
            throw new IllegalArgumentException("the prior's share of each proposal must be in [0, 1), got " + priorMix);
        }
        if (groupSize < 1) {
            throw new IllegalArgumentException("the group size must be positive, got " + groupSize);
        }
        this.network = network;
        this.priorMix = priorMix;
        this.groupSize = groupSize;
    }

    @Override
    public int groupSize() {
        return groupSize;
    }

    /** What {@link #name} says, and so what a posterior's provenance records as its proposal. */
    public static final String NAME = "network";

    @Override
    public String name() {
        return NAME;
    }

    /** Network evaluations made so far (first steps shared between runs count once). */
    public long networkSteps() {
        return networkSteps.get();
    }

    @Override
    public Proposer start(Observations observations) {
        return start(observations, null, 0);
    }

    @Override
    public Proposer start(Observations observations, RunGroup group, int member) {
        Cache c = cache;
        if (c == null || c.observations() != observations) {
            // Made once per inference: runs starting at once must share it (and its first steps).
            synchronized (this) {
                c = cache;
                if (c == null || c.observations() != observations) {
                    c = new Cache(observations, network.embed(network.layout().input(observations.asMap())),
                            new ConcurrentHashMap<>());
                    cache = c;
                }
            }
        }
        return new RunProposer(c, group, member);
    }

    /** Evaluates one batch of a group's requests (null where a member has none). */
    private Object[] evaluate(Object[] requests) {
        List<ProposalNetwork.Step> steps = new java.util.ArrayList<>();
        for (Object r : requests) {
            if (r != null) {
                steps.add((ProposalNetwork.Step) r);
            }
        }
        networkSteps.addAndGet(steps.size());
        float[][][] out = network.steps(steps);
        Object[] answers = new Object[requests.length];
        int k = 0;
        for (int i = 0; i < requests.length; i++) {
            if (requests[i] != null) {
                answers[i] = out[k++];
            }
        }
        return answers;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Distribution<?> defensive(Distribution<?> q, Distribution<?> prior) {
        return Mixture.of(new double[] {1 - priorMix, priorMix}, (java.util.List) java.util.List.of(q, prior));
    }

    /** Proposes the choices of one run, carrying the LSTM state from choice to choice. */
    private final class RunProposer implements Proposer {
        private final Cache cache;
        private final RunGroup group;
        private final int member;
        private float[] h;
        private float[] c;
        private int previousRow;
        private int previousKind;
        private float previousFeature;
        private int pendingRow;
        private int pendingKind;
        private float[] pendingH;
        private float[] pendingC;
        private double[] pendingFrame;

        RunProposer(Cache cache, RunGroup group, int member) {
            this.cache = cache;
            this.group = group;
            this.member = member;
        }

        @Override
        public Distribution<?> propose(Address address, int instance, Distribution<?> prior) {
            pendingRow = 0;
            Head head = Head.of(prior, network.config().maxCategories());
            if (head == null) {
                return null;
            }
            int row = network.addresses().row(address.key(), head);
            if (row <= 0) {
                return null;
            }
            double[] frame = Choice.frame(prior);
            double[] parameters = Choice.parameters(head, prior, frame);
            int kind = ProposalNetwork.kindIndex(prior.kind());
            float[][] step;
            if (h == null) {
                step = cache.firstSteps().computeIfAbsent((long) row * 1024 + kind, k -> {
                    networkSteps.incrementAndGet();
                    return network.steps(List.of(new ProposalNetwork.Step(cache.embedding(), null, null, row, kind, 0, 0, 0f,
                            head)))[0];
                });
            } else {
                ProposalNetwork.Step next = new ProposalNetwork.Step(cache.embedding(), h, c, row, kind, previousRow, previousKind,
                        previousFeature, head);
                if (group != null) {
                    step = (float[][]) group.await(member, next, NetworkProposal.this::evaluate);
                } else {
                    networkSteps.incrementAndGet();
                    step = network.steps(List.of(next))[0];
                }
            }
            pendingRow = row;
            pendingKind = kind;
            pendingFrame = frame;
            pendingH = step[0];
            pendingC = step[1];
            Distribution<?> q = HeadMath.distribution(head, parameters, step[2]);
            return priorMix == 0 ? q : defensive(q, prior);
        }

        /** Everything the next proposal depends on: the LSTM state and the previous choice. */
        private record State(float[] h, float[] c, int previousRow, int previousKind, float previousFeature) {
        }

        @Override
        public Object snapshot() {
            return new State(h, c, previousRow, previousKind, previousFeature);
        }

        @Override
        public void restore(Object snapshot) {
            State s = (State) snapshot;
            h = s.h();
            c = s.c();
            previousRow = s.previousRow();
            previousKind = s.previousKind();
            previousFeature = s.previousFeature();
            pendingRow = 0;
        }

        @Override
        public void chosen(Address address, int instance, Distribution<?> prior, Object value) {
            if (pendingRow <= 0) {
                return;
            }
            h = pendingH;
            c = pendingC;
            previousRow = pendingRow;
            previousKind = pendingKind;
            previousFeature = (float) Choice.feature(pendingFrame, Choice.numeric(value));
            pendingRow = 0;
        }
    }
}
