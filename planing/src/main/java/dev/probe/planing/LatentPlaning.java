package dev.probe.planing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import dev.probe.compiler.SimulatedRun;
import dev.probe.proposals.Choice;

/**
 * Planing a trace dataset in one observation against every latent: weights that make the
 * observation's binned distribution the same in every bin of each latent, so that under the
 * weights it says nothing about that latent (binned). A choice at address a weighs
 * w = n_j h(i) / (n_ij S_j), with i the observation's bin, j the latent's bin, n_ij the choices at
 * a in that cell, n_j those in latent bin j, h(i) the observation's binned distribution over the
 * choices at a and S_j the sum of h over the observation bins that latent bin j reaches. Each
 * latent bin keeps its count (the latent's binned distribution is unchanged); where every cell is
 * reached the weighted joint distribution is the product of the two marginals; no choice weighs 0.
 */
public final class LatentPlaning {

    private final String feature;
    private final double[] featureEdges;
    private final Map<String, double[]> latentEdges;

    private LatentPlaning(String feature, double[] featureEdges, Map<String, double[]> latentEdges) {
        this.feature = feature;
        this.featureEdges = featureEdges;
        this.latentEdges = latentEdges;
    }

    /**
     * Bins cut on {@code runs}: {@code bins} equal-population bins of the observation {@code feature}
     * (the quantiles k / bins), and for each address either one bin per value, where the latent
     * takes at most {@code bins} values there, or {@code bins} equal-population bins of its values.
     */
    public static LatentPlaning bins(List<SimulatedRun> runs, String feature, int bins) {
        if (bins < 2) {
            throw new IllegalArgumentException("planing needs at least 2 bins, got " + bins);
        }
        double[] v = new double[runs.size()];
        Map<String, List<Double>> values = new LinkedHashMap<>();
        for (int r = 0; r < runs.size(); r++) {
            v[r] = feature(runs.get(r), feature);
            for (Choice c : runs.get(r).choices()) {
                values.computeIfAbsent(c.address(), k -> new ArrayList<>()).add(c.value());
            }
        }
        Map<String, double[]> latentEdges = new LinkedHashMap<>();
        values.forEach((address, list) -> {
            double[] z = list.stream().mapToDouble(Double::doubleValue).toArray();
            TreeSet<Double> distinct = new TreeSet<>();
            for (double x : z) {
                distinct.add(x);
                if (distinct.size() > bins) {
                    break;
                }
            }
            if (distinct.size() <= bins) {
                // One bin per value: edges halfway between neighbouring values.
                Double[] d = distinct.toArray(new Double[0]);
                double[] edges = new double[d.length - 1];
                for (int k = 0; k < edges.length; k++) {
                    edges[k] = 0.5 * (d[k] + d[k + 1]);
                }
                latentEdges.put(address, edges);
            } else {
                latentEdges.put(address, Planing.quantileEdges(z, bins));
            }
        });
        return new LatentPlaning(feature, Planing.quantileEdges(v, bins), latentEdges);
    }

    /** The planed observation's value in a run: it must be one finite number. */
    static double feature(SimulatedRun run, String feature) {
        double[] v = run.observations().get(feature);
        if (v == null) {
            throw new IllegalArgumentException("a run does not observe '" + feature + "'; it observes "
                    + String.join(", ", run.observations().keySet()));
        }
        if (v.length != 1) {
            throw new IllegalArgumentException("'" + feature + "' has " + v.length + " numbers in a run; planing takes an"
                    + " observation of one number");
        }
        if (!Double.isFinite(v[0])) {
            throw new IllegalArgumentException("'" + feature + "' is not finite (" + v[0] + ") in a run");
        }
        return v[0];
    }

    /** The observation's bins. */
    public int featureBins() {
        return featureEdges.length + 1;
    }

    /** The latent's bins at {@code address} (1 where the bins were cut on runs without it). */
    public int latentBins(String address) {
        double[] e = latentEdges.get(address);
        return e == null ? 1 : e.length + 1;
    }

    /** The (observation bin, latent bin) cell of a choice at {@code address} in a run with observation {@code v}. */
    int[] cell(String address, double v, double z) {
        double[] e = latentEdges.get(address);
        return new int[] {Planing.bin(featureEdges, v), e == null ? 0 : Planing.bin(e, z)};
    }

    /**
     * {@code runs} with every choice weighted by the rule above, computed on these runs alone (so
     * that this part's weighted distributions factorise exactly, whatever the others hold).
     */
    public List<SimulatedRun> plane(List<SimulatedRun> runs) {
        int fb = featureBins();
        Map<String, double[][]> counts = new LinkedHashMap<>();
        for (SimulatedRun r : runs) {
            double v = feature(r, feature);
            for (Choice c : r.choices()) {
                int[] cell = cell(c.address(), v, c.value());
                counts.computeIfAbsent(c.address(), k -> new double[latentBins(k)][fb])[cell[1]][cell[0]]++;
            }
        }
        Map<String, double[][]> cellWeights = new LinkedHashMap<>();
        counts.forEach((address, n) -> cellWeights.put(address, cellWeights(n)));
        List<SimulatedRun> out = new ArrayList<>(runs.size());
        for (SimulatedRun r : runs) {
            double v = feature(r, feature);
            double[] w = new double[r.choices().size()];
            for (int i = 0; i < w.length; i++) {
                Choice c = r.choices().get(i);
                int[] cell = cell(c.address(), v, c.value());
                w[i] = cellWeights.get(c.address())[cell[1]][cell[0]];
            }
            out.add(r.withWeights(w));
        }
        return out;
    }

    /** The weight of each cell [latent bin][observation bin] from its counts: the rule in the class comment. */
    static double[][] cellWeights(double[][] n) {
        int zb = n.length;
        int fb = n[0].length;
        double total = 0;
        double[] h = new double[fb];
        for (double[] row : n) {
            for (int i = 0; i < fb; i++) {
                h[i] += row[i];
                total += row[i];
            }
        }
        for (int i = 0; i < fb; i++) {
            h[i] /= total;
        }
        double[][] w = new double[zb][fb];
        for (int j = 0; j < zb; j++) {
            double nj = 0;
            double reached = 0;
            for (int i = 0; i < fb; i++) {
                nj += n[j][i];
                reached += n[j][i] > 0 ? h[i] : 0;
            }
            for (int i = 0; i < fb; i++) {
                w[j][i] = n[j][i] > 0 ? nj * h[i] / (n[j][i] * reached) : 0;
            }
        }
        return w;
    }

    /**
     * The weighted counts of the choices at {@code address} in {@code runs} over the cells
     * [latent bin][observation bin], with the runs' weights: after {@link #plane}, each row
     * proportional to the observation's binned distribution over the bins that row reaches.
     */
    public double[][] histogram(List<SimulatedRun> runs, String address) {
        double[][] h = new double[latentBins(address)][featureBins()];
        for (SimulatedRun r : runs) {
            double v = feature(r, feature);
            for (int i = 0; i < r.choices().size(); i++) {
                Choice c = r.choices().get(i);
                if (c.address().equals(address)) {
                    int[] cell = cell(address, v, c.value());
                    h[cell[1]][cell[0]] += r.weights() == null ? 1 : r.weights()[i];
                }
            }
        }
        return h;
    }
}
