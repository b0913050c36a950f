package dev.probe.compiler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.proposals.ObservationLayout;

/**
 * Training runs kept only where their observations are near one observation: the share
 * {@code keep} of the prior's runs nearest to it (Euclidean distance, each observed value scaled
 * by its spread over the prior's runs). A network trained on them is one observation's: it learns
 * q(choices | observations) only where the observations are like that one, with all of its
 * capacity and all of the training's runs there. It is the rejection step of approximate Bayesian
 * computation (keep the simulations nearest the data; Beaumont et al. 2002 then fit a regression
 * to them), used here to choose training data, not as the answer; truncated proposals for neural
 * posterior estimation (Deistler et al. 2022) narrow the prior over the latents instead.
 * Filtering runs by their observations leaves the choices' distribution given the observations
 * unchanged, so the loss still has its minimum at the posterior there; importance sampling with
 * the network stays exact anywhere, and is poorer for observations far from the focus.
 *
 * <p>The threshold is the {@code keep} quantile of the distances of the inner source's validation
 * runs (asked for {@code n / keep} of them: a pilot), and every run within it, ties included, is
 * kept, for validation and training alike (with discrete observations ties can keep more than
 * {@code keep}; the record says how many were kept). Training runs are the inner source's blocks
 * filtered in order, so a seed fixes them. The inner source must simulate afresh: a trace dataset
 * holds a fixed set of runs, which filtering would serve again and again.
 */
public final class FocusedSource implements RunSource {

    /** The most pilot runs a focus may ask for (all held at once). */
    public static final long MAX_PILOT = 5_000_000;
    /** Inner blocks in a row that keep nothing before the focus is given up as unreachable. */
    private static final int EMPTY_BLOCKS = 100;

    private final RunSource inner;
    private final Map<String, double[]> target;
    private final double keep;
    private Map<String, double[]> scale;
    private double threshold = Double.NaN;
    private final List<SimulatedRun> spare = new ArrayList<>();
    private long pilotRuns;
    private long pilotKept;
    /**
     * Written by the thread that simulates, read for the training record by the one that trains:
     * at a checkpoint they count the blocks simulated so far, which may run ahead of training.
     */
    private volatile long simulated;
    private volatile long kept;

    /**
     * @param target the observation to focus on: finite values by observation name, flattened
     *               ({@link dev.probe.proposals.ObservationLayout#flatten})
     * @param keep   the share of the prior's runs kept, in (0, 1]
     */
    public FocusedSource(RunSource inner, Map<String, double[]> target, double keep) {
        if (!(keep > 0 && keep <= 1)) {
            throw new IllegalArgumentException("the share of runs kept must be above 0 and at most 1, got " + keep);
        }
        if (target.isEmpty()) {
            throw new IllegalArgumentException("focusing needs an observation to focus on");
        }
        target.forEach((name, values) -> {
            for (double v : values) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("the observation " + name + " to focus on holds " + v
                            + ": give finite values");
                }
            }
        });
        this.inner = inner;
        this.target = new LinkedHashMap<>(target);
        this.keep = keep;
    }

    /** The pilot's size for {@code n} validation runs at share {@code keep}. */
    public static long pilotSize(int n, double keep) {
        return (long) Math.ceil(n / keep);
    }

    @Override
    public List<SimulatedRun> validation(int n) {
        long size = pilotSize(n, keep);
        if (size > MAX_PILOT) {
            throw new IllegalArgumentException("a focus on the nearest " + keep + " of the runs with " + n
                    + " validation runs simulates " + size + " pilot runs, over " + MAX_PILOT + ": focus on a larger share"
                    + " or validate on fewer runs");
        }
        List<SimulatedRun> pilot = inner.validation((int) size);
        if (!pilot.isEmpty()) {
            checkNames(pilot.get(0));
        }
        // Each value's spread as the network's input standardisation takes it (Trainer.layout),
        // over the pilot's runs whose values to focus on are all finite (the others are never kept).
        List<SimulatedRun> finite = pilot.stream().filter(this::finite).toList();
        scale = new LinkedHashMap<>();
        if (!finite.isEmpty()) {
            for (ObservationLayout.Entry e : Trainer.layout(finite, Map.of()).entries()) {
                if (target.containsKey(e.name())) {
                    scale.put(e.name(), e.std());
                }
            }
        }
        target.forEach((name, t) -> scale.computeIfAbsent(name, k -> {
            double[] one = new double[t.length];
            Arrays.fill(one, 1);
            return one;
        }));
        double[] d = new double[pilot.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = distance(pilot.get(i)); // NaN where a run's observation is not finite: never kept
        }
        if (keep == 1) {
            threshold = Double.POSITIVE_INFINITY;
        } else {
            double[] sorted = Arrays.stream(d).filter(x -> !Double.isNaN(x)).sorted().toArray();
            threshold = sorted.length == 0 ? Double.NEGATIVE_INFINITY : sorted[Math.min(sorted.length - 1, n - 1)];
        }
        List<SimulatedRun> out = new ArrayList<>(n);
        for (int i = 0; i < d.length; i++) {
            if (d[i] <= threshold) {
                out.add(pilot.get(i));
            }
        }
        pilotRuns = pilot.size();
        pilotKept = out.size();
        return out;
    }

    /** The focus names only observations the model makes, each with the model's number of values. */
    private void checkNames(SimulatedRun run) {
        for (Map.Entry<String, double[]> e : target.entrySet()) {
            double[] y = run.observations().get(e.getKey());
            if (y == null) {
                throw new IllegalArgumentException("the observation " + e.getKey() + " to focus on is not one the model makes"
                        + " (it observes " + String.join(", ", run.observations().keySet()) + ")");
            }
            if (y.length != e.getValue().length) {
                throw new IllegalArgumentException("the observation " + e.getKey() + " to focus on has " + e.getValue().length
                        + " values; the model's has " + y.length);
            }
        }
    }

    @Override
    public List<SimulatedRun> next(int n) {
        if (Double.isNaN(threshold)) {
            throw new IllegalStateException("the validation runs set the focus: ask for them first");
        }
        List<SimulatedRun> out = new ArrayList<>(n);
        int empty = 0;
        while (out.size() < n) {
            if (spare.isEmpty()) {
                // Only the runs kept are converted to training runs: their observations decide first.
                Kept block = inner.next((int) Math.min(1 << 16, Math.max(1024, Math.ceil(n / keep))),
                        y -> distance(y) <= threshold);
                if (block.seen() == 0) {
                    break;
                }
                simulated += block.seen();
                spare.addAll(block.runs());
                kept += spare.size();
                empty = spare.isEmpty() ? empty + 1 : 0;
                if (empty == EMPTY_BLOCKS) {
                    throw new IllegalArgumentException(simulated + " simulated runs kept none near the observation to focus"
                            + " on: focus on a larger share");
                }
                continue;
            }
            int take = Math.min(n - out.size(), spare.size());
            out.addAll(spare.subList(0, take));
            spare.subList(0, take).clear();
        }
        return out;
    }

    private boolean finite(SimulatedRun r) {
        for (Map.Entry<String, double[]> e : target.entrySet()) {
            for (double v : values(r.observations(), e.getKey(), e.getValue().length)) {
                if (!Double.isFinite(v)) {
                    return false;
                }
            }
        }
        return true;
    }

    private double distance(SimulatedRun r) {
        return distance(r.observations());
    }

    /** A run's distance from the focus, given its observations by name. */
    private double distance(Map<String, double[]> observations) {
        return distance(target, scale, name -> values(observations, name, target.get(name).length));
    }

    /** The sum over the target's values of ((y - target) / scale)^2, {@code y} by observation name. */
    private static double distance(Map<String, double[]> target, Map<String, double[]> scale,
            java.util.function.Function<String, double[]> y) {
        double s = 0;
        for (Map.Entry<String, double[]> e : target.entrySet()) {
            double[] t = e.getValue();
            double[] v = y.apply(e.getKey());
            double[] sd = scale.get(e.getKey());
            for (int i = 0; i < t.length; i++) {
                double z = (v[i] - t[i]) / sd[i];
                s += z * z;
            }
        }
        return s;
    }

    /**
     * The focus, for the training record: {share, threshold, pilot_runs, pilot_kept, simulated,
     * kept, observation, scale} (the squared scaled distance runs were kept within, the pilot's
     * runs and those kept for validation, the training blocks' runs and those kept, the
     * observation, each value's spread).
     */
    public ObjectNode record() {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("share", keep);
        r.put("threshold", threshold);
        r.put("pilot_runs", pilotRuns);
        r.put("pilot_kept", pilotKept);
        r.put("simulated", simulated);
        r.put("kept", kept);
        ObjectNode observation = r.putObject("observation");
        ObjectNode spread = r.putObject("scale");
        target.forEach((name, values) -> {
            ArrayNode a = observation.putArray(name);
            ArrayNode b = spread.putArray(name);
            double[] sd = scale.get(name);
            for (int i = 0; i < values.length; i++) {
                a.add(values[i]);
                b.add(sd[i]);
            }
        });
        return r;
    }

    /**
     * How far {@code observations} are from the focus a training record holds ({@link #record}),
     * as the runs' distances were measured, against the largest distance training kept: {distance,
     * threshold}; null where an observation of the focus is missing or of another length.
     */
    public static double[] distance(JsonNode focus, Map<String, double[]> observations) {
        Map<String, double[]> target = new LinkedHashMap<>();
        Map<String, double[]> scale = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : focus.path("observation").properties()) {
            double[] y = observations.get(e.getKey());
            double[] t = doubles(e.getValue());
            double[] sd = doubles(focus.path("scale").path(e.getKey()));
            if (y == null || y.length != t.length || sd.length != t.length) {
                return null;
            }
            target.put(e.getKey(), t);
            scale.put(e.getKey(), sd);
        }
        return new double[] {distance(target, scale, observations::get), focus.path("threshold").asDouble()};
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }

    private static double[] values(Map<String, double[]> observations, String name, int length) {
        double[] y = observations.get(name);
        if (y == null || y.length != length) {
            throw new IllegalArgumentException("a training run's observation " + name + " has "
                    + (y == null ? "no value" : y.length + " values") + " where the focus has " + length);
        }
        return y;
    }

    @Override
    public String identity() {
        return inner.identity();
    }

    @Override
    public String label() {
        return inner.label();
    }

    @Override
    public String describe() {
        return inner.describe() + ", focused on one observation: the nearest " + keep + " of the runs";
    }

    @Override
    public int[] observationShape(String name) {
        return inner.observationShape(name);
    }
}
