package dev.probe.proposals;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

import dev.probe.runtime.distribution.Beta;
import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Gamma;
import dev.probe.runtime.inference.Observations;
import dev.probe.runtime.inference.Proposer;
import dev.probe.runtime.model.Address;

/**
 * The call-tree recurrence: parents read from addresses, and inference continuing each choice from
 * the same parent as training does.
 */
class CallTreeTest {

    private static final String SITE = "shower@14:18";
    private static final String LEFT = "shower@17:10";
    private static final String RIGHT = "shower@18:10";
    private static final String MAIN = "main@24:17";

    @Test
    void framesAreTheCallSitesBetweenTheSiteAndTheKind() {
        assertEquals("shower@17:10/main@24:17", CallTree.frame(SITE + "/" + LEFT + "/" + MAIN + "#Beta"));
        assertEquals("main@24:17", CallTree.frame(SITE + "/" + MAIN + "#Beta"));
        assertEquals("", CallTree.frame("main@22:14#Gamma"));
        assertEquals("", CallTree.frame("energy"));
        assertEquals("", CallTree.frame("detector/noise"), "a name without a kind is one frame");
        assertTrue(CallTree.encloses("main@24:17", "shower@17:10/main@24:17"));
        assertTrue(CallTree.encloses("", "shower@17:10/main@24:17"));
        assertTrue(CallTree.encloses("main@24:17", "main@24:17"));
        assertTrue(!CallTree.encloses("shower@17:10/main@24:17", "shower@18:10/main@24:17"), "a sibling");
        assertTrue(!CallTree.encloses("4:17", "main@24:17"), "a suffix of the text that is not whole call sites");
    }

    @Test
    void aRightChildDescendsFromItsParentNotFromTheLeftSubtree() {
        CallTree tree = new CallTree();
        String root = MAIN;
        String left = LEFT + "/" + root;
        String leftLeft = LEFT + "/" + left;
        String right = RIGHT + "/" + root;
        int energy = tree.parent("");
        assertEquals(-1, energy);
        tree.push(energy, "", 0);
        int start = tree.parent("");
        assertEquals(0, tree.id(start));
        tree.push(start, "", 1); // replaces "energy": same frame
        assertEquals(1, tree.depth());
        int rootLevel = tree.parent(root);
        assertEquals(1, tree.id(rootLevel), "the root's fraction descends from start");
        tree.push(rootLevel, root, 2);
        int l = tree.parent(left);
        assertEquals(2, tree.id(l));
        tree.push(l, left, 3);
        int ll = tree.parent(leftLeft);
        assertEquals(3, tree.id(ll));
        tree.push(ll, leftLeft, 4);
        int r = tree.parent(right);
        assertEquals(2, tree.id(r), "the right child's parent is the root's fraction, made three choices earlier");
        tree.push(r, right, 5);
        assertEquals(3, tree.depth(), "start, the root, the right child: the left subtree has left the stack");
    }

    @Test
    void withOneFrameEveryChoiceDescendsFromThePreviousOne() {
        CallTree tree = new CallTree();
        for (int i = 0; i < 20; i++) {
            int p = tree.parent(CallTree.frame("x" + i));
            assertEquals(i == 0 ? -1 : i - 1, p < 0 ? -1 : tree.id(p));
            tree.push(p, CallTree.frame("x" + i), i);
        }
        assertEquals(1, tree.depth());
    }

    /** One cascade-like run: its choices with their priors, as the script's addresses name them. */
    private record Simulated(List<Address> addresses, List<Distribution<?>> priors, List<Object> values, float[] y) {
    }

    private static void shower(double energy, int depth, String chain, Random random, Simulated run) {
        if (energy < 1 || depth >= 9) {
            run.y()[Math.min(depth, 2)] += (float) energy;
            return;
        }
        Beta prior = Beta.of(2, 2);
        double f = 0.05 + 0.9 * random.nextDouble();
        run.addresses().add(Address.site(SITE + "/" + chain, prior.kind()));
        run.priors().add(prior);
        run.values().add(f);
        shower(energy * f, depth + 1, LEFT + "/" + chain, random, run);
        shower(energy * (1 - f), depth + 1, RIGHT + "/" + chain, random, run);
    }

    private static Simulated simulate(Random random) {
        Simulated run = new Simulated(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new float[3]);
        Gamma energyPrior = Gamma.of(4, 0.5);
        double energy = 1 + 10 * random.nextDouble();
        run.addresses().add(Address.named("energy"));
        run.priors().add(energyPrior);
        run.values().add(energy);
        Categorical startPrior = Categorical.of(0.5, 0.3, 0.2);
        int start = random.nextInt(3);
        run.addresses().add(Address.named("start"));
        run.priors().add(startPrior);
        run.values().add(start);
        shower(energy, start, MAIN, random, run);
        return run;
    }

    private static final ObservationLayout LAYOUT = new ObservationLayout(List.of(new ObservationLayout.Entry("y", null,
            new double[3], new double[] {1, 1, 1})));

    /** A small untrained network with the call-tree recurrence, its weights drawn with {@code seed}. */
    private static ProposalNetwork callTreeNetwork(long seed) {
        ProposalNetwork.Config config = ProposalNetwork.Config.defaults().withHidden(32).withCallTree(true);
        return ProposalNetwork.create(config, LAYOUT, Device.cpu(), seed);
    }

    @Test
    void inferenceContinuesEachChoiceFromTheParentTrainingDoes() {
        try (ProposalNetwork network = callTreeNetwork(11)) {
            Random random = new Random(5);
            List<Simulated> simulated = new ArrayList<>();
            List<Run> runs = new ArrayList<>();
            int farParents = 0;
            for (int i = 0; i < 30; i++) {
                Simulated s = simulate(random);
                simulated.add(s);
                List<Choice> choices = new ArrayList<>();
                for (int k = 0; k < s.addresses().size(); k++) {
                    choices.add(Choice.of(s.addresses().get(k).key(), s.priors().get(k), s.values().get(k), 64));
                }
                runs.add(new Run(LAYOUT.input(Map.of("y", toDoubles(s.y()))), choices));
                CallTree tree = new CallTree();
                for (int k = 0; k < choices.size(); k++) {
                    String frame = CallTree.frame(choices.get(k).address());
                    int p = tree.parent(frame);
                    farParents += p >= 0 && tree.id(p) != k - 1 ? 1 : 0;
                    tree.push(p, frame, k);
                }
            }
            assertTrue(farParents >= 20, "the runs have " + farParents + " choices whose parent is not the previous choice");
            Batch.of(runs, network, true); // every address learned
            double trained;
            try (NDManager m = network.manager().newSubManager()) {
                trained = -network.loss(Batch.of(runs, network, false), m).getFloat() * runs.size();
            }
            NetworkProposal proposal = new NetworkProposal(network);
            double inferred = 0;
            for (Simulated s : simulated) {
                Proposer proposer = proposal.start(Observations.of(Map.of("y", toDoubles(s.y()))));
                for (int k = 0; k < s.addresses().size(); k++) {
                    Distribution<?> q = proposer.propose(s.addresses().get(k), 0, s.priors().get(k));
                    inferred += q.logProbOf(s.values().get(k));
                    proposer.chosen(s.addresses().get(k), 0, s.priors().get(k), s.values().get(k));
                }
            }
            // Float32 network arithmetic (native in training, Java at inference) over about 500 choices of
            // a few nats each: rounding is near 1e-6 relative per term.
            assertEquals(trained, inferred, 1e-4 * Math.abs(trained), "log q summed over the runs' choices");
        }
    }

    @Test
    void aRestoredSnapshotProposesWhatItProposedBefore() {
        try (ProposalNetwork network = callTreeNetwork(12)) {
            Random random = new Random(8);
            Simulated s = simulate(random);
            while (s.addresses().size() < 8) {
                s = simulate(random);
            }
            List<Run> runs = new ArrayList<>();
            List<Choice> choices = new ArrayList<>();
            for (int k = 0; k < s.addresses().size(); k++) {
                choices.add(Choice.of(s.addresses().get(k).key(), s.priors().get(k), s.values().get(k), 64));
            }
            runs.add(new Run(LAYOUT.input(Map.of("y", toDoubles(s.y()))), choices));
            Batch.of(runs, network, true);
            Proposer proposer = new NetworkProposal(network).start(Observations.of(Map.of("y", toDoubles(s.y()))));
            int half = s.addresses().size() / 2;
            Object snapshot = null;
            double[] first = new double[s.addresses().size()];
            for (int k = 0; k < first.length; k++) {
                if (k == half) {
                    snapshot = proposer.snapshot();
                }
                Distribution<?> q = proposer.propose(s.addresses().get(k), 0, s.priors().get(k));
                first[k] = q.logProbOf(s.values().get(k));
                proposer.chosen(s.addresses().get(k), 0, s.priors().get(k), s.values().get(k));
            }
            proposer.restore(snapshot);
            for (int k = half; k < first.length; k++) {
                Distribution<?> q = proposer.propose(s.addresses().get(k), 0, s.priors().get(k));
                assertEquals(first[k], q.logProbOf(s.values().get(k)), 0, "choice " + k + " after the restore");
                proposer.chosen(s.addresses().get(k), 0, s.priors().get(k), s.values().get(k));
            }
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
