package dev.probe.models.sbibm;

import dev.probe.runtime.distribution.Binomial;
import dev.probe.runtime.distribution.LogNormal;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * The Java twin of {@code models/sbibm/sir.ppl}, the sbibm SIR task: beta ~ LogNormal(log 0.4, 0.5),
 * gamma ~ LogNormal(log 0.125, 0.2); the SIR equations in a population of {@link #POPULATION} with
 * one infected at day 0, integrated by classical Runge-Kutta; x: Binomial({@link #COUNT}, I(t)/N)
 * at days 0, 17, ..., 153. Statement for statement the script's computation, so that the two time
 * the same work.
 */
public final class Sir implements Model {

    /** Population size N. */
    public static final double POPULATION = 1_000_000;
    /** Trials of each binomial measurement. */
    public static final int COUNT = 1000;
    /** Days between measurements. */
    public static final int EVERY = 17;
    /** Measurements: days 0, 17, ..., 153. */
    public static final int MEASUREMENTS = 10;
    /** The script's default integration steps per day. */
    public static final int STEPS_PER_DAY = 4;

    private static final LogNormal BETA = LogNormal.of(Math.log(0.4), 0.5);
    private static final LogNormal GAMMA = LogNormal.of(Math.log(0.125), 0.2);

    private final int stepsPerDay;

    public Sir(int stepsPerDay) {
        if (stepsPerDay <= 0) {
            throw new IllegalArgumentException("steps per day must be positive, got " + stepsPerDay);
        }
        this.stepsPerDay = stepsPerDay;
    }

    @Override
    public Object run(Context ctx) {
        double beta = ctx.sample(BETA, "beta");
        double gamma = ctx.sample(GAMMA, "gamma");
        double[] fractions = infectedFractions(beta, gamma, stepsPerDay);
        for (double f : fractions) {
            ctx.observe(Binomial.of(COUNT, Math.min(1, Math.max(0, f))), "x");
        }
        return new double[] {beta, gamma};
    }

    /** The prior's log density of (beta, gamma). */
    public static double logPrior(double beta, double gamma) {
        return BETA.logDensity(beta) + GAMMA.logDensity(gamma);
    }

    /** The log likelihood of the counts {@code x} (one per measurement) given beta and gamma. */
    public static double logLikelihood(double beta, double gamma, long[] x, int stepsPerDay) {
        double[] f = infectedFractions(beta, gamma, stepsPerDay);
        double sum = 0;
        for (int k = 0; k < MEASUREMENTS; k++) {
            sum += Binomial.of(COUNT, Math.min(1, Math.max(0, f[k]))).logMass(x[k]);
        }
        return sum;
    }

    /** I(t)/N at the measurement days, by Runge-Kutta with {@code stepsPerDay} steps a day. */
    public static double[] infectedFractions(double beta, double gamma, int stepsPerDay) {
        double n = POPULATION;
        double s = n - 1;
        double i = 1;
        double h = 1.0 / stepsPerDay;
        double b = beta / n;
        double[] out = new double[MEASUREMENTS];
        for (int day = 0; day <= (MEASUREMENTS - 1) * EVERY; day++) {
            if (day % EVERY == 0) {
                out[day / EVERY] = i / n;
            }
            for (int k = 0; k < stepsPerDay; k++) {
                double ds1 = -b * s * i;
                double di1 = -ds1 - gamma * i;
                double s2 = s + 0.5 * h * ds1;
                double i2 = i + 0.5 * h * di1;
                double ds2 = -b * s2 * i2;
                double di2 = -ds2 - gamma * i2;
                double s3 = s + 0.5 * h * ds2;
                double i3 = i + 0.5 * h * di2;
                double ds3 = -b * s3 * i3;
                double di3 = -ds3 - gamma * i3;
                double s4 = s + h * ds3;
                double i4 = i + h * di3;
                double ds4 = -b * s4 * i4;
                double di4 = -ds4 - gamma * i4;
                s += h / 6 * (ds1 + 2 * ds2 + 2 * ds3 + ds4);
                i += h / 6 * (di1 + 2 * di2 + 2 * di3 + di4);
            }
        }
        return out;
    }
}
