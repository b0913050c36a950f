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
 * On the CPU the later steps are made in Java ({@link StepKernel}), run by run.
 */
public final class NetworkProposal implements Proposal {

    private final ProposalNetwork network;
    private final double priorMix;
    private final double widen;
    private final double defensive;
    private final int groupSize;
    /** The observations last seen, their embedding and the first steps computed for them. */
    private volatile Cache cache;
    private final AtomicLong networkSteps = new AtomicLong();

    /**
     * @param gates the observation's share of the LSTM gates, for the Java step ({@link StepKernel}); null on
     *              other devices
     */
    private record Cache(Observations observations, float[] embedding, float[] gates,
            ConcurrentHashMap<Long, float[][]> firstSteps) {
    }

    /** The network's step in Java, made from its weights when first needed; null off the CPU. */
    private volatile StepKernel kernel;

    /**
     * Runs advanced side by side by default off the CPU, so that one pass serves them all. On the
     * CPU each run's step is made in Java ({@link StepKernel}), which costs less than a batched
     * native pass and its thread hand-offs (docs/benchmarks.md), so runs go one by one there.
     */
    public static final int DEFAULT_GROUP = 32;

    /** The widest a proposal may be made ({@link #NetworkProposal(ProposalNetwork, double, double, int)}). */
    public static final double MAX_WIDEN = 100;

    public NetworkProposal(ProposalNetwork network) {
        this(network, 0);
    }

    /**
     * Proposals mixed with the prior: each choice comes from the prior with probability
     * {@code priorMix} (defensive importance sampling, Hesterberg 1995). Weights are then at most
     * 1 / priorMix times the likelihood, so a posterior mode the network under-covers is still
     * reached; the price is that fraction of proposals spent on the prior at every choice.
     */
    public NetworkProposal(ProposalNetwork network, double priorMix) {
        this(network, priorMix, network.device().isGpu() ? DEFAULT_GROUP : 1);
    }

    /**
     * @param groupSize runs advanced side by side so that their network steps after the first go
     *                  through the network together ({@link ProposalNetwork#steps}; on the CPU the
     *                  Java step, row by row); 1 runs them one by one. Results never depend on it
     *                  being reached by timing: a batch holds the group's running members, decided
     *                  by the seed alone. On the CPU they do not depend on it at all.
     */
    public NetworkProposal(ProposalNetwork network, double priorMix, int groupSize) {
        this(network, priorMix, 1, groupSize);
    }

    /**
     * @param widen how many times wider than the network says each component of a real-valued
     *              choice's proposal is (at least 1; 1 is the network's own proposal). A network
     *              fitted on finitely many runs can be too narrow where the posterior has little
     *              mass: importance sampling then misses that region in most inferences and
     *              over-weights it in the few that land there, which Kish's ESS does not show
     *              (docs/inference-compilation.md). Wider components reach such a region in more
     *              inferences, at some ESS where the network was right.
     */
    public NetworkProposal(ProposalNetwork network, double priorMix, double widen, int groupSize) {
        this(network, priorMix, widen, 0, groupSize);
    }

    /** How many times wider than the network's proposal the defensive share's runs are proposed. */
    public static final double DEFENSIVE_WIDTH = 2;

    /**
     * @param defensive the share of runs proposed, whole, from the network's proposal made
     *                  {@link #DEFENSIVE_WIDTH} times wider again (defensive importance sampling
     *                  with a wider proposal, Hesterberg 1995): a run's proposal density is (1 -
     *                  defensive) q(x) + defensive q_wide(x), so a run whose choices landed in the
     *                  tails of the network's proposal weighs at most 1 / defensive times what
     *                  the wider proposal would give it, instead of whatever the network's tail
     *                  says. It is drawn choice by choice: each choice from q and q_wide mixed in
     *                  the proportions their densities of the run's earlier choices give (Bayes'
     *                  rule on which of the two the run came from), which is that same mixture of
     *                  whole runs. 0 is the network's own proposal.
     */
    public NetworkProposal(ProposalNetwork network, double priorMix, double widen, double defensive, int groupSize) {
        if (!(defensive >= 0 && defensive < 1)) {
            throw new IllegalArgumentException("the defensive share of runs must be in [0, 1), got " + defensive);
        }
        if (!(widen >= 1 && widen <= MAX_WIDEN)) {
            throw new IllegalArgumentException("the proposals' widening must be in [1, " + (int) MAX_WIDEN + "], got " + widen);
        }
        if (!(priorMix >= 0 && priorMix < 1)) {
            throw new IllegalArgumentException("the prior's share of each proposal must be in [0, 1), got " + priorMix);
        }
        if (groupSize < 1) {
            throw new IllegalArgumentException("the group size must be positive, got " + groupSize);
        }
        this.network = network;
        this.priorMix = priorMix;
        this.widen = widen;
        this.defensive = defensive;
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

    /** {@link #NAME}, then {@code prior_mix}, {@code widen} and {@code defensive} where they are not the network's own proposal. */
    @Override
    public String describe() {
        return NAME + (priorMix != 0 ? ", prior_mix=" + priorMix : "") + (widen != 1 ? ", widen=" + widen : "")
                + (defensive != 0 ? ", defensive=" + defensive : "");
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
                    float[] embedding = network.embed(network.layout().input(observations.asMap()));
                    StepKernel k = kernel();
                    c = new Cache(observations, embedding, k == null ? null : k.observationGates(embedding),
                            new ConcurrentHashMap<>());
                    cache = c;
                }
            }
        }
        return new RunProposer(c, group, member);
    }

    /**
     * The Java step on the CPU, where it beats a pass through the native library even for a batch
     * (docs/inference-compilation.md); null on other devices. Made from the weights as they are
     * when an inference first starts: a network trained further needs a new proposal.
     */
    private StepKernel kernel() {
        if (!network.device().isGpu() && kernel == null) {
            synchronized (this) {
                if (kernel == null) {
                    kernel = new StepKernel(network);
                }
            }
        }
        return kernel;
    }

    /**
     * Steps through the network, each into new arrays: the Java step where there is one (row by
     * row), else one native pass. A run's own later steps on the CPU go into its buffers instead
     * ({@link RunProposer#propose}).
     */
    private float[][][] steps(List<ProposalNetwork.Step> steps, float[] gates) {
        networkSteps.addAndGet(steps.size());
        StepKernel k = kernel;
        if (gates == null || k == null) {
            return network.steps(steps);
        }
        float[] room = k.scratch();
        float[][][] out = new float[steps.size()][][];
        for (int i = 0; i < out.length; i++) {
            ProposalNetwork.Step s = steps.get(i);
            out[i] = k.step(gates, room, s.h(), s.c(), s.row(), s.kind(), s.previousRow(), s.previousKind(), s.previousFeature(),
                    s.head());
        }
        return out;
    }

    /** Evaluates one batch of a group's requests (null where a member has none). */
    private Object[] evaluate(Object[] requests, float[] gates) {
        List<ProposalNetwork.Step> steps = new java.util.ArrayList<>();
        for (Object r : requests) {
            if (r != null) {
                steps.add((ProposalNetwork.Step) r);
            }
        }
        float[][][] out = steps(steps, gates);
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
    private Distribution<?> withPrior(Distribution<?> q, Distribution<?> prior) {
        return Mixture.of(new double[] {1 - priorMix, priorMix}, (java.util.List) java.util.List.of(q, prior));
    }

    /**
     * A run's call-tree stack ({@link CallTree}) and, per level, what a later choice descending
     * from that level's choice continues from: its cell state after its step (a copy, since the
     * step wrote it into one of the run's reused buffers), address row, kind row and value feature.
     */
    private static final class Stack {
        private final CallTree tree;
        private float[][] cell;
        private int[] row;
        private int[] kind;
        private float[] feature;

        Stack() {
            this(new CallTree(), new float[4][], new int[4], new int[4], new float[4]);
        }

        private Stack(CallTree tree, float[][] cell, int[] row, int[] kind, float[] feature) {
            this.tree = tree;
            this.cell = cell;
            this.row = row;
            this.kind = kind;
            this.feature = feature;
        }

        /** Records a chosen choice whose parent is at {@code parent} ({@link CallTree#parent}). */
        void push(int parent, String frame, float[] c, int r, int k, float f) {
            int level = tree.push(parent, frame, 0);
            if (level == row.length) {
                int n = 2 * level;
                cell = java.util.Arrays.copyOf(cell, n);
                row = java.util.Arrays.copyOf(row, n);
                kind = java.util.Arrays.copyOf(kind, n);
                feature = java.util.Arrays.copyOf(feature, n);
            }
            if (cell[level] == null) {
                cell[level] = new float[c.length];
            }
            System.arraycopy(c, 0, cell[level], 0, c.length);
            row[level] = r;
            kind[level] = k;
            feature[level] = f;
        }

        /** A copy sharing no array with this one, for a snapshot and for a restore from it. */
        Stack copy() {
            float[][] cells = new float[cell.length][];
            for (int i = 0; i < tree.depth(); i++) {
                cells[i] = cell[i].clone();
            }
            return new Stack(tree.copy(), cells, row.clone(), kind.clone(), feature.clone());
        }
    }

    /** Proposes the choices of one run, carrying the LSTM state from choice to choice. */
    private final class RunProposer implements Proposer {
        private final Cache cache;
        private final RunGroup group;
        private final int member;
        /** The state after the last chosen step: one of the run's buffers, a shared first step's, or null. */
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
        /** The Java step's gates, for this run's steps (a run proposes on one thread at a time). */
        private float[] scratch;
        /**
         * Two pairs of state arrays the Java step writes into by turns (never the pair {@code h}
         * and {@code c} point to), and its head outputs per head: a run's steps allocate nothing.
         */
        private float[] hA;
        private float[] cA;
        private float[] hB;
        private float[] cB;
        private final float[][] outputs = new float[Head.values().length][];
        /** The kind last looked up (compared as the same string object) and its embedding row. */
        private String kindLabel;
        private int kindRow;
        /**
         * With a defensive share: the logarithms of (1 - share) q and share q_wide of the run's
         * choices so far, less their maximum; and the pending choice's two proposals.
         */
        private double logNetwork = Math.log1p(-defensive);
        private double logWide = Math.log(defensive);
        private Distribution<?> pendingNetwork;
        private Distribution<?> pendingWide;
        /** With the call-tree recurrence, the choices a later one can descend from; null for the plain sequence. */
        private Stack stack;
        /** The pending choice's parent level in {@link #stack}. */
        private int pendingParent;
        /** The zero cell state, for a choice without a parent after the first. */
        private float[] zeroC;

        RunProposer(Cache cache, RunGroup group, int member) {
            this.cache = cache;
            this.group = group;
            this.member = member;
            if (network.config().callTree()) {
                stack = new Stack();
            }
        }

        @Override
        public Distribution<?> propose(Address address, int instance, Distribution<?> prior) {
            pendingRow = 0;
            pendingNetwork = null;
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
            String label = prior.kind();
            if (label != kindLabel) {
                // Kinds are constant strings: a run of one kind's choices looks its row up once.
                kindLabel = label;
                kindRow = ProposalNetwork.kindIndex(label);
            }
            int kind = kindRow;
            // The inputs the step continues from: the previous choice's, or under the call-tree
            // recurrence its parent's (cell state, address, kind, value).
            float[] inC = c;
            int inRow = previousRow;
            int inKind = previousKind;
            float inFeature = previousFeature;
            if (stack != null) {
                int parent = stack.tree.parent(network.addresses().frame(row));
                pendingParent = parent;
                if (parent < 0) {
                    inRow = 0;
                    inKind = 0;
                    inFeature = 0;
                    if (h != null && zeroC == null) {
                        zeroC = new float[h.length];
                    }
                    inC = zeroC;
                } else {
                    inC = stack.cell[parent];
                    inRow = stack.row[parent];
                    inKind = stack.kind[parent];
                    inFeature = stack.feature[parent];
                }
            }
            float[] stateH;
            float[] stateC;
            float[] out;
            if (h == null) {
                float[][] step = cache.firstSteps().computeIfAbsent((long) row * 1024 + kind, k -> steps(List.of(
                        new ProposalNetwork.Step(cache.embedding(), null, null, row, kind, 0, 0, 0f, head)), cache.gates())[0]);
                stateH = step[0];
                stateC = step[1];
                out = step[2];
            } else if (group != null || kernel == null || cache.gates() == null) {
                ProposalNetwork.Step next = new ProposalNetwork.Step(cache.embedding(), h, inC, row, kind, inRow, inKind, inFeature,
                        head);
                float[][] step = group != null
                        ? (float[][]) group.await(member, next, requests -> evaluate(requests, cache.gates()))
                        : steps(List.of(next), cache.gates())[0];
                stateH = step[0];
                stateC = step[1];
                out = step[2];
            } else {
                StepKernel k = kernel;
                if (scratch == null) {
                    int hd = k.hidden();
                    scratch = k.scratch();
                    hA = new float[hd];
                    cA = new float[hd];
                    hB = new float[hd];
                    cB = new float[hd];
                }
                boolean intoB = h == hA;
                stateH = intoB ? hB : hA;
                stateC = intoB ? cB : cA;
                out = outputs[head.ordinal()];
                if (out == null) {
                    out = k.outputs(head);
                    outputs[head.ordinal()] = out;
                }
                networkSteps.incrementAndGet();
                k.step(cache.gates(), scratch, h, inC, row, kind, inRow, inKind, inFeature, head, stateH, stateC, out);
            }
            pendingRow = row;
            pendingKind = kind;
            pendingFrame = frame;
            pendingH = stateH;
            pendingC = stateC;
            Distribution<?> q = HeadMath.distribution(head, parameters, out, widen);
            if (defensive > 0 && (head == Head.NORMAL || head == Head.TRUNCATED)) {
                // A TRUNCATED head's wide proposal shares the network's weights and locations.
                q = runMixture(q, q instanceof TruncatedNormalMixture t ? t.widened(DEFENSIVE_WIDTH)
                        : HeadMath.distribution(head, parameters, out, widen * DEFENSIVE_WIDTH));
            }
            return priorMix == 0 ? q : withPrior(q, prior);
        }

        /**
         * This choice's share of the mixture of whole runs: q and q_wide weighted by the chances
         * that the run so far came from each ({@link #logNetwork}, {@link #logWide}).
         */
        @SuppressWarnings({"unchecked", "rawtypes"})
        private Distribution<?> runMixture(Distribution<?> q, Distribution<?> wide) {
            pendingNetwork = q;
            pendingWide = wide;
            // Both shares from the odds, so that neither is rounded away while it is above the
            // smallest double (1 - share would lose a share under 1e-16).
            double odds = Math.exp(logWide - logNetwork);
            if (odds == 0) {
                return q;
            }
            if (odds == Double.POSITIVE_INFINITY) {
                return wide;
            }
            return new RunMixture(q, wide, 1 / (1 + odds), odds / (1 + odds));
        }

        /**
         * Everything the next proposal depends on: the LSTM state and the previous choice (copies),
         * and under the call-tree recurrence the stack and its levels' inputs (copies).
         */
        private record State(float[] h, float[] c, int previousRow, int previousKind, float previousFeature, Stack stack,
                double logNetwork, double logWide) {
        }

        @Override
        public Object snapshot() {
            // The run's buffers are written again by its next steps: the snapshot keeps copies.
            return new State(h == null ? null : h.clone(), c == null ? null : c.clone(), previousRow, previousKind,
                    previousFeature, stack == null ? null : stack.copy(), logNetwork, logWide);
        }

        @Override
        public void restore(Object snapshot) {
            State s = (State) snapshot;
            // The snapshot's copies are never the run's buffers, so the steps never write into them.
            h = s.h();
            c = s.c();
            previousRow = s.previousRow();
            previousKind = s.previousKind();
            previousFeature = s.previousFeature();
            logNetwork = s.logNetwork();
            logWide = s.logWide();
            if (stack != null) {
                // A copy again: the levels' cell arrays are written into by later choices.
                stack = s.stack().copy();
            }
            pendingRow = 0;
            pendingNetwork = null;
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
            if (stack != null) {
                stack.push(pendingParent, network.addresses().frame(pendingRow), c, pendingRow, pendingKind, previousFeature);
            }
            if (pendingNetwork != null) {
                logNetwork += pendingNetwork.logProbOf(value);
                logWide += pendingWide.logProbOf(value);
                double top = Math.max(logNetwork, logWide);
                if (top > Double.NEGATIVE_INFINITY) {
                    logNetwork -= top;
                    logWide -= top;
                }
                pendingNetwork = null;
            }
            pendingRow = 0;
        }
    }
}
