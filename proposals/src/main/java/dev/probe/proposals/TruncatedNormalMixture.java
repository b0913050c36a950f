package dev.probe.proposals;

import java.util.ArrayList;
import java.util.List;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.statistics.distribution.NormalDistribution;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.RealDistribution;
import dev.probe.runtime.distribution.Support;
import dev.probe.runtime.distribution.TruncatedNormal;

/**
 * The TRUNCATED head's proposal: a mixture of normals truncated to one interval, the same
 * distribution as a {@link Mixture} of {@link TruncatedNormal}s, made for a proposal that is drawn
 * once and scored once. Each component's log normaliser is computed once here, so a density costs
 * one exponential per component; a mixture of {@code TruncatedNormal} objects builds a Commons
 * Statistics distribution per component (several error functions and its moments) for every
 * choice of every run, a quarter of an {@code ic} run's time on a recursive model
 * (docs/benchmarks.md). Draws are those of that mixture under the same generator (the same
 * component choice, then {@link TruncatedNormal#draw}); densities agree to rounding (tested).
 */
final class TruncatedNormalMixture extends RealDistribution {

    private static final NormalDistribution STANDARD = NormalDistribution.of(0, 1);
    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

    private final double[] weights;
    private final double[] logWeights;
    private final double[] location;
    private final double[] scale;
    private final double low;
    private final double high;
    /** log w_k - log scale_k - log sqrt(2 pi) - log Z_k: component k's log density less its quadratic term. */
    private final double[] constant;
    private final double total;
    /** The same mixture as runtime objects, made only where moments are asked for. */
    private Mixture<Double> objects;
    /**
     * The last point {@link #logDensity} was asked for and its answer: a run's choice is scored
     * twice at its value (its weight, and the defensive proposal's odds), each sum of exponentials.
     */
    private double lastX = Double.NaN;
    private double lastLogDensity;

    /**
     * @param weights  the components' weights (positive, not necessarily normalised)
     * @param location each component's mean before truncation
     * @param scale    each component's standard deviation before truncation (positive)
     */
    TruncatedNormalMixture(double[] weights, double[] location, double[] scale, double low, double high) {
        this(weights, null, location, scale, low, high);
    }

    /**
     * The same, given {@code logWeights}, the weights' logarithms (a softmax knows them without
     * computing one: its outputs less their maximum), which spares a logarithm per component.
     */
    TruncatedNormalMixture(double[] weights, double[] logWeights, double[] location, double[] scale, double low, double high) {
        this.weights = weights;
        this.logWeights = logWeights;
        this.location = location;
        this.scale = scale;
        this.low = low;
        this.high = high;
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        total = sum;
        constant = new double[weights.length];
        double logTotal = Math.log(sum);
        for (int k = 0; k < weights.length; k++) {
            double mass = mass((low - location[k]) / scale[k], (high - location[k]) / scale[k]);
            if (!(mass > 0)) {
                throw new IllegalArgumentException("TruncatedNormal: [" + low + ", " + high
                        + "] holds no probability mass under Normal(" + location[k] + ", " + scale[k] + ")");
            }
            double logWeight = logWeights == null ? Math.log(weights[k] / total) : logWeights[k] - logTotal;
            // One logarithm for both factors, unless their product leaves the normal doubles.
            double product = scale[k] * mass;
            double logScaleMass = product >= Double.MIN_NORMAL && product < Double.POSITIVE_INFINITY ? Math.log(product)
                    : Math.log(scale[k]) + Math.log(mass);
            constant[k] = logWeight - logScaleMass - LOG_SQRT_2PI;
        }
    }

    /** The standard normal's mass on [a, b], from the side of zero where it keeps its precision. */
    private static double mass(double a, double b) {
        if (a >= 0) {
            return STANDARD.survivalProbability(a) - STANDARD.survivalProbability(b);
        }
        if (b <= 0) {
            return STANDARD.cumulativeProbability(b) - STANDARD.cumulativeProbability(a);
        }
        // A tail beyond FAR_TAIL standard deviations holds under 2^-54, and 1 less such a tail is 1
        // in doubles: it is not computed (the same bits; most components of a trained proposal sit
        // well inside their interval, and each tail is an error function).
        double lower = a < -FAR_TAIL ? 0 : STANDARD.cumulativeProbability(a);
        double upper = b > FAR_TAIL ? 0 : STANDARD.survivalProbability(b);
        return 1 - lower - upper;
    }

    /** Standard deviations past which a normal tail is below 2^-54 (its mass there is 9.5e-18). */
    private static final double FAR_TAIL = 8.5;

    /**
     * The same mixture with every component {@code factor} times as wide, renormalised on the
     * interval: the weights and locations as they are, so only the normalisers are computed again
     * (the network's outputs are not transformed twice). The same bits as the head's proposal
     * made at the wider width, for a power-of-two factor.
     */
    TruncatedNormalMixture widened(double factor) {
        double[] wider = new double[scale.length];
        for (int k = 0; k < wider.length; k++) {
            wider[k] = factor * scale[k];
        }
        return new TruncatedNormalMixture(weights, logWeights, location, wider, low, high);
    }

    @Override
    public String kind() {
        return "Mixture";
    }

    @Override
    public Support support() {
        return Support.interval(low, true, high, true);
    }

    @Override
    public Double sample(UniformRandomProvider rng) {
        // The component: the first whose cumulative probability exceeds one uniform draw, as a
        // Categorical's guide table finds it (one draw; the same component but at rounding ties).
        double u = rng.nextDouble();
        int k = 0;
        double cumulative = weights[0] / total;
        while (u >= cumulative && k < weights.length - 1) {
            k++;
            cumulative += weights[k] / total;
        }
        return TruncatedNormal.draw(location[k], scale[k], low, high, rng);
    }

    @Override
    public double logDensity(double x) {
        if (!(x >= low && x <= high)) {
            return Double.NEGATIVE_INFINITY;
        }
        if (x == lastX) {
            return lastLogDensity;
        }
        // log sum_k exp(term_k), shifted by the largest term; no array: two passes over the components.
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < constant.length; k++) {
            max = Math.max(max, term(k, x));
        }
        if (max == Double.NEGATIVE_INFINITY) {
            return max;
        }
        double sum = 0;
        for (int k = 0; k < constant.length; k++) {
            sum += Math.exp(term(k, x) - max);
        }
        lastLogDensity = max + Math.log(sum);
        lastX = x;
        return lastLogDensity;
    }

    private double term(int k, double x) {
        double d = (x - location[k]) / scale[k];
        return constant[k] - 0.5 * d * d;
    }

    private Mixture<Double> objects() {
        if (objects == null) {
            List<Distribution<Double>> parts = new ArrayList<>(weights.length);
            for (int k = 0; k < weights.length; k++) {
                parts.add(TruncatedNormal.of(location[k], scale[k], low, high));
            }
            objects = Mixture.of(weights, parts);
        }
        return objects;
    }

    @Override
    public double mean() {
        return objects().mean();
    }

    @Override
    public double variance() {
        return objects().variance();
    }

    @Override
    public String toString() {
        return objects().toString();
    }
}
