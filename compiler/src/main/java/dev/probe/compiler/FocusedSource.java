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

/**
 * Training runs kept only where their observations are near one observation: the share
 * {@code keep} of the prior's runs nearest to it (Euclidean distance, each observed value scaled
 * by its spread over the prior's runs). A network trained on them is one observation's: it learns
 * q(choices | observations) only where the observations are like that one, with all of its
 * capacity and all of the training's runs there (truncated sequential neural posterior estimation,
 * Deistler et al. 2022, does the same with the prior truncated to the posterior's region).
 * Filtering runs by their observations leaves the choices' distribution given the observations
 * unchanged, so the loss still has its minimum at the posterior there; importance sampling with
 * the network stays exact anywhere, and is poorer for observations far from the focus.
 *
 * <p>The threshold is the {@code keep} quantile of the distances of the inner source's validation
 * runs (asked for {@code n / keep} of them), whose nearest make the validation set; training runs
 * are the inner source's blocks filtered by the same threshold, in order, so a seed fixes them.
 */
public final class FocusedSource implements RunSource {

    private final RunSource inner;
    private final Map<String, double[]> target;
    private final double keep;
    private Map<String, double[]> scale;
    private double threshold = Double.NaN;
    private final List<SimulatedRun> spare = new ArrayList<>();

    /**
     * @param target the observation to focus on: values by observation name, flattened
     *               ({@link dev.probe.proposals.ObservationLayout#flatten})
     * @param keep   the share of the prior's runs kept, in (0, 1]
     */
    public FocusedSource(RunSource inner, Map<String, double[]> target, double keep) {
        if (!(keep > 0 && keep <= 1)) {
            throw new IllegalArgumentException("the share of runs kept must be in (0, 1], got " + keep);
        }
        if (target.isEmpty()) {
            throw new IllegalArgumentException("focusing needs an observation to focus on");
        }
        this.inner = inner;
        this.target = new LinkedHashMap<>(target);
        this.keep = keep;
    }

    @Override
    public List<SimulatedRun> validation(int n) {
        List<SimulatedRun> pilot = inner.validation((int) Math.min(Integer.MAX_VALUE - 8, Math.ceil(n / keep)));
        scale = new LinkedHashMap<>();
        for (Map.Entry<String, double[]> e : target.entrySet()) {
            double[] sum = new double[e.getValue().length];
            double[] squares = new double[sum.length];
            for (SimulatedRun r : pilot) {
                double[] y = values(r, e.getKey(), sum.length);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += y[i];
                    squares[i] += y[i] * y[i];
                }
            }
            double[] sd = new double[sum.length];
            for (int i = 0; i < sd.length; i++) {
                double mean = sum[i] / pilot.size();
                double var = Math.max(0, squares[i] / pilot.size() - mean * mean);
                sd[i] = Math.sqrt(var) < Trainer.MIN_STD ? 1 : Math.sqrt(var);
            }
            scale.put(e.getKey(), sd);
        }
        double[] d = new double[pilot.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = distance(pilot.get(i));
        }
        double[] sorted = d.clone();
        Arrays.sort(sorted);
        threshold = sorted[Math.max(0, Math.min(sorted.length - 1, n - 1))];
        List<SimulatedRun> out = new ArrayList<>(n);
        for (int i = 0; i < d.length && out.size() < n; i++) {
            if (d[i] <= threshold) {
                out.add(pilot.get(i));
            }
        }
        return out;
    }

    @Override
    public List<SimulatedRun> next(int n) {
        if (Double.isNaN(threshold)) {
            throw new IllegalStateException("the validation runs set the focus: ask for them first");
        }
        List<SimulatedRun> out = new ArrayList<>(n);
        while (out.size() < n) {
            if (spare.isEmpty()) {
                List<SimulatedRun> block = inner.next((int) Math.min(1 << 16, Math.max(1024, Math.ceil(n / keep))));
                if (block.isEmpty()) {
                    break;
                }
                for (SimulatedRun r : block) {
                    if (distance(r) <= threshold) {
                        spare.add(r);
                    }
                }
                continue;
            }
            int take = Math.min(n - out.size(), spare.size());
            out.addAll(spare.subList(0, take));
            spare.subList(0, take).clear();
        }
        return out;
    }

    private double distance(SimulatedRun r) {
        double s = 0;
        for (Map.Entry<String, double[]> e : target.entrySet()) {
            double[] t = e.getValue();
            double[] y = values(r, e.getKey(), t.length);
            double[] sd = scale.get(e.getKey());
            for (int i = 0; i < t.length; i++) {
                double z = (y[i] - t[i]) / sd[i];
                s += z * z;
            }
        }
        return s;
    }

    /**
     * The focus, for the training record: {share, threshold, observation, scale} (the squared
     * scaled distance runs were kept within, the observation, each value's spread).
     */
    public ObjectNode record() {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("share", keep);
        r.put("threshold", threshold);
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
        double s = 0;
        for (Map.Entry<String, JsonNode> e : focus.path("observation").properties()) {
            double[] y = observations.get(e.getKey());
            JsonNode t = e.getValue();
            JsonNode sd = focus.path("scale").path(e.getKey());
            if (y == null || y.length != t.size() || sd.size() != t.size()) {
                return null;
            }
            for (int i = 0; i < y.length; i++) {
                double z = (y[i] - t.get(i).asDouble()) / sd.get(i).asDouble();
                s += z * z;
            }
        }
        return new double[] {s, focus.path("threshold").asDouble()};
    }

    private static double[] values(SimulatedRun r, String name, int length) {
        double[] y = r.observations().get(name);
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
        return inner.describe() + ", focused on one observation: the " + keep + " of runs nearest it";
    }

    @Override
    public int[] observationShape(String name) {
        return inner.observationShape(name);
    }
}
