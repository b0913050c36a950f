package dev.probe.engines.smc;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.probe.runtime.distribution.ValueType;
import dev.probe.runtime.engine.Runner;
import dev.probe.runtime.model.Address;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * Tempered SMC's block random walk, scaled by the particles themselves (the adaptive SMC
 * sampler's move: Chopin 2002, Jasra, Stephens, Doucet and Tsagaris 2011): every real controlled
 * choice that all particles make moves at once by a Gaussian step whose covariance is
 * 2.38^2 / d times the particles' weighted covariance (d the number of such sites; Roberts and
 * Rosenthal's scale for a Gaussian target). The covariance is estimated before resampling; it is
 * full when the weights' ESS is at least 4d, else diagonal. Sites on which the particles all agree
 * are left to the other moves. It also measures how far a particle moved, in the population's
 * standard deviations (the squared Mahalanobis distance), so that rounds of moves can go on until
 * the particles have moved enough.
 */
final class PopulationWalk implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The most sites one walk moves (the first ones met in the first particle); the rest are left to single-site moves. */
    static final int MAX_SITES = 64;

    private record Site(Address address, int instance) implements Serializable {
    }

    private final Site[] sites;
    private final HashMap<Site, Integer> index = new HashMap<>();
    /** The Cholesky factor of the particles' covariance (lower triangular). */
    private final double[][] cholesky;
    private final Runner.Walk walk;

    private PopulationWalk(Site[] sites, double[][] cholesky) {
        this.sites = sites;
        this.cholesky = cholesky;
        int d = sites.length;
        Address[] addresses = new Address[d];
        int[] instances = new int[d];
        double scale = 2.38 / Math.sqrt(d);
        double[][] factor = new double[d][d];
        for (int j = 0; j < d; j++) {
            addresses[j] = sites[j].address();
            instances[j] = sites[j].instance();
            index.put(sites[j], j);
            for (int k = 0; k <= j; k++) {
                factor[j][k] = scale * cholesky[j][k];
            }
        }
        walk = new Runner.Walk(addresses, instances, factor);
    }

    /** The walk for particles {@code particles} of log weights {@code logW}; null when no site can move. */
    static PopulationWalk of(Trace[] particles, double[] logW) {
        int n = particles.length;
        LinkedHashMap<Site, Integer> common = new LinkedHashMap<>();
        for (Variable v : particles[0].variables()) {
            if (real(v)) {
                common.put(new Site(v.address(), v.instance()), 0);
            }
        }
        for (Trace p : particles) {
            for (Variable v : p.variables()) {
                if (real(v)) {
                    common.computeIfPresent(new Site(v.address(), v.instance()), (s, c) -> c + 1);
                }
            }
        }
        List<Site> candidates = new ArrayList<>();
        for (Map.Entry<Site, Integer> e : common.entrySet()) {
            if (e.getValue() == n && candidates.size() < MAX_SITES) {
                candidates.add(e.getKey());
            }
        }
        if (candidates.isEmpty()) {
            return null;
        }
        double[] weights = normalised(logW);
        double[][] values = new double[n][];
        Site[] all = candidates.toArray(new Site[0]);
        for (int i = 0; i < n; i++) {
            values[i] = coordinates(particles[i], all, positions(all));
        }
        int d = all.length;
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += weights[i] * values[i][j];
            }
        }
        double[][] cov = new double[d][d];
        for (int i = 0; i < n; i++) {
            if (weights[i] == 0) {
                continue;
            }
            for (int j = 0; j < d; j++) {
                double a = values[i][j] - mean[j];
                for (int k = 0; k <= j; k++) {
                    cov[j][k] += weights[i] * a * (values[i][k] - mean[k]);
                }
            }
        }
        // Sites on which the weighted particles agree (or whose spread is not finite) are left out.
        List<Integer> kept = new ArrayList<>();
        for (int j = 0; j < d; j++) {
            if (cov[j][j] > 0 && Double.isFinite(cov[j][j])) {
                kept.add(j);
            }
        }
        if (kept.isEmpty()) {
            return null;
        }
        int m = kept.size();
        Site[] sites = new Site[m];
        double[][] sigma = new double[m][m];
        for (int a = 0; a < m; a++) {
            sites[a] = all[kept.get(a)];
            for (int b = 0; b <= a; b++) {
                sigma[a][b] = cov[kept.get(a)][kept.get(b)];
            }
        }
        double[][] l = SequentialMonteCarlo.ess(logW) >= 4 * m ? cholesky(sigma) : null;
        if (l == null) {
            l = new double[m][m];
            for (int a = 0; a < m; a++) {
                l[a][a] = Math.sqrt(sigma[a][a]);
            }
        }
        return new PopulationWalk(sites, l);
    }

    private static boolean real(Variable v) {
        return v.isSample() && v.controlled() && v.distribution().valueType() == ValueType.REAL;
    }

    private static Map<Site, Integer> positions(Site[] sites) {
        HashMap<Site, Integer> out = new HashMap<>();
        for (int j = 0; j < sites.length; j++) {
            out.put(sites[j], j);
        }
        return out;
    }

    /** The values of {@code trace} at {@code sites} (NaN where it has none). */
    private static double[] coordinates(Trace trace, Site[] sites, Map<Site, Integer> positions) {
        double[] out = new double[sites.length];
        java.util.Arrays.fill(out, Double.NaN);
        for (Variable v : trace.variables()) {
            if (real(v)) {
                Integer j = positions.get(new Site(v.address(), v.instance()));
                if (j != null) {
                    out[j] = (Double) v.value();
                }
            }
        }
        return out;
    }

    private static double[] normalised(double[] logW) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : logW) {
            max = Math.max(max, x);
        }
        double[] w = new double[logW.length];
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = logW[i] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(logW[i] - max);
            sum += w[i];
        }
        for (int i = 0; i < w.length; i++) {
            w[i] /= sum;
        }
        return w;
    }

    /**
     * The lower Cholesky factor of {@code a} (lower triangle given), with a jitter of up to 10^-6
     * of the mean variance where rounding leaves it not quite positive definite; null if that fails.
     */
    static double[][] cholesky(double[][] a) {
        int d = a.length;
        double meanVariance = 0;
        for (int j = 0; j < d; j++) {
            meanVariance += a[j][j] / d;
        }
        for (double jitter = 0; jitter <= 1e-6 * meanVariance; jitter = jitter == 0 ? 1e-12 * meanVariance : jitter * 100) {
            double[][] l = new double[d][d];
            boolean ok = true;
            for (int j = 0; j < d && ok; j++) {
                for (int k = 0; k <= j; k++) {
                    double s = a[j][k] + (j == k ? jitter : 0);
                    for (int m = 0; m < k; m++) {
                        s -= l[j][m] * l[k][m];
                    }
                    if (j == k) {
                        if (!(s > 0)) {
                            ok = false;
                            break;
                        }
                        l[j][j] = Math.sqrt(s);
                    } else {
                        l[j][k] = s / l[k][k];
                    }
                }
            }
            if (ok) {
                return l;
            }
        }
        return null;
    }

    /** Sites the walk moves. */
    int dimension() {
        return sites.length;
    }

    /** The walk, for {@link Runner#walk}. */
    Runner.Walk walk() {
        return walk;
    }

    /**
     * How far a particle moved from {@code before} to {@code after}: the squared distance in the
     * population's covariance (|L^-1 (after - before)|^2); 0 when either lacks a walked site.
     */
    double squaredJump(Trace before, Trace after) {
        if (before == after) {
            return 0;
        }
        double[] x = coordinates(before, sites, index);
        double[] y = coordinates(after, sites, index);
        int d = sites.length;
        double[] z = new double[d];
        double sum = 0;
        for (int j = 0; j < d; j++) {
            double s = y[j] - x[j];
            for (int k = 0; k < j; k++) {
                s -= cholesky[j][k] * z[k];
            }
            z[j] = s / cholesky[j][j];
            if (Double.isNaN(z[j])) {
                return 0;
            }
            sum += z[j] * z[j];
        }
        return sum;
    }
}
