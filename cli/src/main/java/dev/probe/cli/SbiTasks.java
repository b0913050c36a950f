package dev.probe.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.sampling.distribution.ZigguratSampler;

import dev.probe.diagnostics.Samples;
import dev.probe.engines.smc.SequentialMonteCarlo;
import dev.probe.language.Script;
import dev.probe.models.sbibm.Sir;
import dev.probe.runtime.distribution.TruncatedNormal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.trace.Trace;
import dev.probe.runtime.trace.Variable;

/**
 * The tasks of the simulation-based inference benchmark (sbibm, Lueckmann et al. 2021) as Probe
 * scripts in {@code models/sbibm/}: each task's parameters, how an observation conditions its
 * script, and its reference posterior. References are computed, never stored: in closed form
 * where one exists (gaussian_linear, gaussian_linear_uniform, gaussian_mixture, two_moons), on a
 * fine grid for the two-parameter sir, and for slcp exactly in its Gaussian mean and on a grid in
 * its other three parameters; each is fixed by its seed.
 */
final class SbiTasks {

    private SbiTasks() {
    }

    /** Observations per task, as in sbibm. */
    static final int OBSERVATIONS = 10;

    /** The seed of observation k (0-based) is {@code OBSERVATION_SEED + k}. */
    static final long OBSERVATION_SEED = 1_000_000;

    /**
     * One task.
     *
     * @param name       sbibm's name, also the script's file name
     * @param parameters the posterior's variables, in order
     * @param viaParam   whether the observation goes to the script as the param {@code x} (two_moons)
     *                   rather than as the observation {@code x}
     * @param best       the best published mean C2ST at 10^5 simulations (Lueckmann et al. 2021)
     * @param bestMethod the method that reached it
     */
    record Task(String name, List<String> parameters, boolean viaParam, double best, String bestMethod, Reference reference,
            java.util.function.Predicate<double[]> support) {

        Script script(Path dir) throws IOException {
            return Script.load(dir.resolve(name + ".ppl"));
        }

        /** The script's model conditioned on {@code x}, and the observations to give the engine. */
        Model model(Script script, Object x) {
            return viaParam ? script.model(Map.of("x", x), Script.DEFAULT_MAX_STEPS, Script.DEFAULT_MAX_DEPTH) : script.model();
        }

        Inference condition(Inference inference, Object x) {
            return viaParam ? inference : inference.observe("x", x);
        }

        /** {@code n} equally weighted draws of the parameters from an engine's posterior. */
        double[][] draws(Posterior p, int n, long seed) {
            return Samples.of(p).equallyWeighted(parameters, n, seed);
        }

        /**
         * {@code n} draws of a Gaussian kernel density estimate on an engine's (weighted) draws, as
         * sbibm's ABC baselines smooth theirs: a draw picked by weight plus Normal(0, h^2 S), S the
         * weighted covariance, h Scott's factor n_eff^(-1/(d+4)) with n_eff Kish's effective sample
         * size (the count for Metropolis-Hastings draws); draws outside the prior's support are
         * drawn again. An engine with B runs has at most B distinct draws, and a C2ST over 10,000
         * draws tells repeated draws apart from the reference's; the kernel spreads them.
         */
        double[][] smoothed(Posterior p, int n, long seed) {
            Samples s = Samples.of(p);
            int d = parameters.size();
            double[][] cols = new double[d][];
            for (int j = 0; j < d; j++) {
                cols[j] = s.column(parameters.get(j));
            }
            double[] w = s.weights();
            double total = 0;
            double squares = 0;
            for (double v : w) {
                total += v;
                squares += v * v;
            }
            double neff = total * total / squares;
            double[][] cov = covariance(cols, w, mean(cols, w));
            double h = Math.pow(neff, -1.0 / (d + 4));
            double[][] chol = cholesky(cov, h * h);
            double[] cumulative = new double[w.length];
            double run = 0;
            for (int i = 0; i < w.length; i++) {
                run += w[i];
                cumulative[i] = run;
            }
            UniformRandomProvider r = rng(seed);
            ZigguratSampler.NormalizedGaussian z = ZigguratSampler.NormalizedGaussian.of(r);
            double[][] out = new double[n][];
            double[] e = new double[d];
            for (int k = 0; k < n; ) {
                int i = java.util.Arrays.binarySearch(cumulative, r.nextDouble() * run);
                i = Math.min(w.length - 1, i >= 0 ? i : -i - 1);
                for (int j = 0; j < d; j++) {
                    e[j] = z.sample();
                }
                double[] theta = new double[d];
                for (int a = 0; a < d; a++) {
                    double v = cols[a][i];
                    for (int b = 0; b <= a; b++) {
                        v += chol[a][b] * e[b];
                    }
                    theta[a] = v;
                }
                if (support.test(theta)) {
                    out[k++] = theta;
                }
            }
            return out;
        }
    }

    /** How a task's reference posterior is drawn. */
    interface Reference {
        /**
         * {@code n} draws of the reference posterior given the observation {@code x} (as stored: a
         * list of numbers, or of lists for slcp).
         */
        double[][] sample(Task task, Script script, Object x, int n, long seed);

        /** How the draws are made, for the docs and the bench's header. */
        String describe();
    }

    /** The weighted mean of the columns {@code cols} (weights {@code w}, any total). */
    static double[] mean(double[][] cols, double[] w) {
        double total = 0;
        for (double v : w) {
            total += v;
        }
        double[] mean = new double[cols.length];
        for (int i = 0; i < w.length; i++) {
            for (int j = 0; j < cols.length; j++) {
                mean[j] += w[i] / total * cols[j][i];
            }
        }
        return mean;
    }

    /** The lower triangle of the columns' weighted covariance about {@code mean}. */
    static double[][] covariance(double[][] cols, double[] w, double[] mean) {
        double total = 0;
        for (double v : w) {
            total += v;
        }
        int d = cols.length;
        double[][] cov = new double[d][d];
        for (int i = 0; i < w.length; i++) {
            for (int a = 0; a < d; a++) {
                for (int b = 0; b <= a; b++) {
                    cov[a][b] += w[i] / total * (cols[a][i] - mean[a]) * (cols[b][i] - mean[b]);
                }
            }
        }
        return cov;
    }

    /** The lower Cholesky factor of {@code scale} times the lower triangle {@code lower} (made symmetric), with a small ridge. */
    static double[][] cholesky(double[][] lower, double scale) {
        int d = lower.length;
        double[][] l = new double[d][d];
        for (int a = 0; a < d; a++) {
            for (int b = 0; b <= a; b++) {
                double v = scale * lower[a][b] + (a == b ? 1e-12 : 0);
                for (int k = 0; k < b; k++) {
                    v -= l[a][k] * l[b][k];
                }
                l[a][b] = a == b ? Math.sqrt(Math.max(v, 1e-300)) : v / l[b][b];
            }
        }
        return l;
    }

    /** Support of a box prior [-bound, bound]^d. */
    static java.util.function.Predicate<double[]> box(double bound) {
        return t -> {
            for (double v : t) {
                if (Math.abs(v) > bound) {
                    return false;
                }
            }
            return true;
        };
    }

    static List<String> indexed(String name, int dim) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < dim; i++) {
            out.add(name + "[" + i + "]");
        }
        return out;
    }

    static final List<Task> ALL = List.of(
            new Task("gaussian_linear", indexed("theta", 10), false, 0.506, "NPE", new GaussianLinear(), t -> true),
            new Task("gaussian_linear_uniform", indexed("theta", 10), false, 0.506, "NLE", new GaussianLinearUniform(), box(1)),
            new Task("slcp", indexed("theta", 5), false, 0.578, "SNLE", new SlcpGrid(), box(3)),
            new Task("gaussian_mixture", indexed("theta", 2), false, 0.533, "SNPE", new GaussianMixtureReference(), box(10)),
            new Task("two_moons", indexed("theta", 2), true, 0.530, "SNPE", new TwoMoons(), box(1)),
            new Task("sir", List.of("beta", "gamma"), false, 0.547, "SNRE", new SirGrid(), t -> t[0] > 0 && t[1] > 0));

    static Task find(String name) {
        for (Task t : ALL) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new UsageException("no sbibm task '" + name + "'; the tasks are "
                + String.join(", ", ALL.stream().map(Task::name).toList()));
    }

    /**
     * Observation k of a task, drawn by running its script forward from the prior with seed
     * {@code OBSERVATION_SEED + k}: the true parameters and x, as JSON-ready lists.
     */
    static Map<String, Object> drawObservation(Task task, Script script, int k) {
        Posterior p = Inference.prior(script.model()).traces(1).seed(OBSERVATION_SEED + k).threads(1).keepTraces(true).run();
        Trace t = p.traces().get(0);
        List<Object> theta = new ArrayList<>();
        List<Object> x = new ArrayList<>();
        for (Variable v : t.variables()) {
            if (v.name() == null) {
                continue;
            }
            if (v.role() == Variable.Role.OBSERVE && v.name().equals("x")) {
                x.add(plain(v.value()));
            } else if (v.isSample() && (v.name().equals("theta") || task.parameters().contains(v.name()))) {
                theta.add(plain(v.value()));
            }
        }
        // A name observed once takes its value itself; one that repeats, the list of its instances'.
        Object observed = task.viaParam() ? plain(t.result()) : x.size() == 1 ? x.get(0) : x;
        return Map.of("seed", OBSERVATION_SEED + k, "theta", theta, "x", observed);
    }

    /** A runtime value as JSON would hold it: numbers, booleans and lists. */
    static Object plain(Object v) {
        if (v instanceof double[] a) {
            List<Object> out = new ArrayList<>();
            for (double d : a) {
                out.add(d);
            }
            return out;
        }
        if (v instanceof long[] a) {
            List<Object> out = new ArrayList<>();
            for (long d : a) {
                out.add(d);
            }
            return out;
        }
        if (v instanceof Object[] a) {
            return plain(List.of(a));
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>();
            for (Object o : list) {
                out.add(plain(o));
            }
            return out;
        }
        return v;
    }

    /** The numbers of a flat observation. */
    static double[] flat(Object x) {
        List<?> list = (List<?>) x;
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) list.get(i)).doubleValue();
        }
        return out;
    }

    private static UniformRandomProvider rng(long seed) {
        return Seeds.generator(seed, 0);
    }

    /** Conjugate: prior Normal(0, 0.1 I), likelihood Normal(theta, 0.1 I); posterior Normal(x / 2, 0.05 I). */
    static final class GaussianLinear implements Reference {
        /** Prior and noise variance of every dimension. */
        static final double VARIANCE = 0.1;

        @Override
        public double[][] sample(Task task, Script script, Object x, int n, long seed) {
            double[] obs = flat(x);
            double[] mean = new double[obs.length];
            double sd = Math.sqrt(1 / (1 / VARIANCE + 1 / VARIANCE));
            for (int d = 0; d < obs.length; d++) {
                // Precision-weighted: (0 / prior variance + x / noise variance) / total precision.
                mean[d] = (obs[d] / VARIANCE) / (2 / VARIANCE);
            }
            ZigguratSampler.NormalizedGaussian z = ZigguratSampler.NormalizedGaussian.of(rng(seed));
            double[][] out = new double[n][obs.length];
            for (double[] row : out) {
                for (int d = 0; d < obs.length; d++) {
                    row[d] = mean[d] + sd * z.sample();
                }
            }
            return out;
        }

        @Override
        public String describe() {
            return "closed form: Normal(x / 2, 0.05 I)";
        }
    }

    /** Independent dimensions, each Normal(x, 0.1) truncated to the prior's [-1, 1]. */
    static final class GaussianLinearUniform implements Reference {
        @Override
        public double[][] sample(Task task, Script script, Object x, int n, long seed) {
            double[] obs = flat(x);
            UniformRandomProvider r = rng(seed);
            TruncatedNormal[] dims = new TruncatedNormal[obs.length];
            for (int d = 0; d < obs.length; d++) {
                dims[d] = TruncatedNormal.of(obs[d], Math.sqrt(0.1), -1, 1);
            }
            double[][] out = new double[n][obs.length];
            for (double[] row : out) {
                for (int d = 0; d < obs.length; d++) {
                    row[d] = dims[d].sample(r);
                }
            }
            return out;
        }

        @Override
        public String describe() {
            return "closed form: Normal(x, 0.1) truncated to [-1, 1] in each dimension";
        }
    }

    /** Under the flat prior: the mixture 0.5 Normal(x, I) + 0.5 Normal(x, 0.01 I), by rejection into the box. */
    static final class GaussianMixtureReference implements Reference {
        @Override
        public double[][] sample(Task task, Script script, Object x, int n, long seed) {
            double[] obs = flat(x);
            UniformRandomProvider r = rng(seed);
            ZigguratSampler.NormalizedGaussian z = ZigguratSampler.NormalizedGaussian.of(r);
            double[][] out = new double[n][];
            for (int i = 0; i < n; ) {
                double sd = r.nextBoolean() ? 1 : 0.1;
                double[] theta = {obs[0] + sd * z.sample(), obs[1] + sd * z.sample()};
                if (Math.abs(theta[0]) <= 10 && Math.abs(theta[1]) <= 10) {
                    out[i++] = theta;
                }
            }
            return out;
        }

        @Override
        public String describe() {
            return "closed form: 0.5 Normal(x, I) + 0.5 Normal(x, 0.01 I) truncated to [-10, 10]^2";
        }
    }

    /**
     * The simulator inverted: draw the moon's latents (a, r), which give p; then x - p fixes
     * |theta0 + theta1| and theta1 - theta0, the sign of theta0 + theta1 is either with equal
     * probability (both branches have the same Jacobian), and draws outside the prior are rejected.
     */
    static final class TwoMoons implements Reference {
        @Override
        public double[][] sample(Task task, Script script, Object x, int n, long seed) {
            double[] obs = flat(x);
            UniformRandomProvider r = rng(seed);
            ZigguratSampler.NormalizedGaussian z = ZigguratSampler.NormalizedGaussian.of(r);
            double root2 = Math.sqrt(2);
            double[][] out = new double[n][];
            for (int i = 0; i < n; ) {
                double a = Math.PI * (r.nextDouble() - 0.5);
                double radius = 0.1 + 0.01 * z.sample();
                double s0 = obs[0] - (radius * Math.cos(a) + 0.25);   // -|theta0 + theta1| / sqrt 2
                double s1 = obs[1] - radius * Math.sin(a);            // (theta1 - theta0) / sqrt 2
                if (s0 > 0) {
                    continue;
                }
                double sum = (r.nextBoolean() ? 1 : -1) * -s0 * root2;
                double diff = s1 * root2;
                double t0 = (sum - diff) / 2;
                double t1 = (sum + diff) / 2;
                if (Math.abs(t0) <= 1 && Math.abs(t1) <= 1) {
                    out[i++] = new double[] {t0, t1};
                }
            }
            return out;
        }

        @Override
        public String describe() {
            return "analytic: the simulator's latents drawn and inverted, both sign branches, rejection into the prior";
        }
    }

    /**
     * The posterior of (log beta, log gamma) evaluated on a grid (the likelihood by the Java twin's
     * integrator, at the script's step): a coarse grid over the prior finds where the mass is, a
     * fine one of {@link #FINE} x {@link #FINE} cells over that box is sampled cell by cell, with a
     * uniform position inside the cell.
     */
    static final class SirGrid implements Reference {
        static final int COARSE = 120;
        static final int FINE = 300;

        @Override
        public double[][] sample(Task task, Script script, Object x, int n, long seed) {
            double[] xs = flat(x);
            long[] counts = new long[xs.length];
            for (int k = 0; k < xs.length; k++) {
                counts[k] = Math.round(xs[k]);
            }
            double[] box = {Math.log(0.4) - 5 * 0.5, Math.log(0.4) + 5 * 0.5, Math.log(0.125) - 5 * 0.2, Math.log(0.125) + 5 * 0.2};
            for (int pass = 0; pass < 2; pass++) {
                double[][] lp = grid(box, COARSE, counts);
                box = massBox(box, lp, COARSE);
            }
            double[][] lp = grid(box, FINE, counts);
            double max = max(lp);
            double[] cumulative = new double[FINE * FINE];
            double total = 0;
            for (int i = 0; i < FINE; i++) {
                for (int j = 0; j < FINE; j++) {
                    total += Math.exp(lp[i][j] - max);
                    cumulative[i * FINE + j] = total;
                }
            }
            UniformRandomProvider r = rng(seed);
            double wb = (box[1] - box[0]) / FINE;
            double wg = (box[3] - box[2]) / FINE;
            double[][] out = new double[n][];
            for (int s = 0; s < n; s++) {
                double u = r.nextDouble() * total;
                int cell = java.util.Arrays.binarySearch(cumulative, u);
                cell = cell >= 0 ? cell : -cell - 1;
                int i = cell / FINE;
                int j = cell % FINE;
                out[s] = new double[] {Math.exp(box[0] + (i + r.nextDouble()) * wb), Math.exp(box[2] + (j + r.nextDouble()) * wg)};
            }
            return out;
        }

        /** Log posterior density of (log beta, log gamma) at the cell centres. */
        private static double[][] grid(double[] box, int m, long[] counts) {
            double[][] lp = new double[m][m];
            java.util.stream.IntStream.range(0, m).parallel().forEach(i -> {
                double beta = Math.exp(box[0] + (i + 0.5) * (box[1] - box[0]) / m);
                for (int j = 0; j < m; j++) {
                    double gamma = Math.exp(box[2] + (j + 0.5) * (box[3] - box[2]) / m);
                    // The prior density of the logs is the log-normal's times beta gamma.
                    lp[i][j] = Sir.logPrior(beta, gamma) + Math.log(beta) + Math.log(gamma)
                            + Sir.logLikelihood(beta, gamma, counts, Sir.STEPS_PER_DAY);
                }
            });
            return lp;
        }

        /** The box around the cells within 25 nats of the maximum, widened by two cells each side. */
        private static double max(double[][] lp) {
            double max = Double.NEGATIVE_INFINITY;
            for (double[] row : lp) {
                for (double v : row) {
                    max = Math.max(max, v);
                }
            }
            return max;
        }

        private static double[] massBox(double[] box, double[][] lp, int m) {
            double max = max(lp);
            int i0 = m;
            int i1 = -1;
            int j0 = m;
            int j1 = -1;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    if (lp[i][j] > max - 25) {
                        i0 = Math.min(i0, i);
                        i1 = Math.max(i1, i);
                        j0 = Math.min(j0, j);
                        j1 = Math.max(j1, j);
                    }
                }
            }
            double wb = (box[1] - box[0]) / m;
            double wg = (box[3] - box[2]) / m;
            return new double[] {box[0] + (i0 - 2) * wb, box[0] + (i1 + 3) * wb, box[2] + (j0 - 2) * wg, box[2] + (j1 + 3) * wg};
        }

        @Override
        public String describe() {
            return "grid: " + FINE + " x " + FINE + " cells of (log beta, log gamma) over the posterior's mass";
        }
    }

    /**
     * slcp's posterior, exact but for a grid in three dimensions. Given (theta2, theta3, theta4),
     * which fix the covariance S, the four points' likelihood is Gaussian in the mean m =
     * (theta0, theta1): with xbar their mean and W their scatter matrix,
     *
     * <pre>  prod_j N(x_j; m, S) = (2 pi)^-3 |S|^-3/2 exp(-tr(S^-1 W) / 2) N(m; xbar, S / 4) / 4.</pre>
     *
     * So the posterior is g(theta2, theta3, theta4) N(m; xbar, S / 4) restricted to m in the
     * prior's box, g = |S|^-3/2 exp(-tr(S^-1 W) / 2) on [-3, 3]^3. It is drawn exactly, but for
     * the grid, by rejection: (theta2, theta3, theta4) from g on a grid, then m from N(xbar, S / 4),
     * everything drawn again when m falls outside [-3, 3]^2 (the acceptance is the box's
     * probability under N(xbar, S / 4), which the target carries as a factor). g depends on theta2
     * and theta3 through their squares only, so the grid covers |theta2| and |theta3| in [0, 3]
     * and each draw takes their signs at random: the four sign modes get exactly equal mass. A
     * coarse grid of {@link #COARSE}^3 cells finds the cells within 25 nats of the largest (twice,
     * narrowing), and {@link #FINE}^3 cells over that box are sampled cell by cell, uniformly
     * within the cell.
     */
    static final class SlcpGrid implements Reference {
        static final int COARSE = 100;
        static final int FINE = 160;

        @Override
        public double[][] sample(Task task, Script script, Object x, int n, long seed) {
            List<?> points = (List<?>) x;
            double[][] xs = new double[points.size()][];
            double[] mean = new double[2];
            for (int j = 0; j < xs.length; j++) {
                xs[j] = flat(points.get(j));
                mean[0] += xs[j][0] / xs.length;
                mean[1] += xs[j][1] / xs.length;
            }
            double[] w = new double[3];   // the scatter matrix: W00, W01, W11
            for (double[] p : xs) {
                w[0] += (p[0] - mean[0]) * (p[0] - mean[0]);
                w[1] += (p[0] - mean[0]) * (p[1] - mean[1]);
                w[2] += (p[1] - mean[1]) * (p[1] - mean[1]);
            }
            double[] box = {0, 3, 0, 3, -3, 3};
            for (int pass = 0; pass < 2; pass++) {
                box = massBox(box, grid(box, COARSE, w), COARSE);
            }
            double[] lp = grid(box, FINE, w);
            double max = Double.NEGATIVE_INFINITY;
            for (double v : lp) {
                max = Math.max(max, v);
            }
            double[] cumulative = new double[lp.length];
            double total = 0;
            for (int c = 0; c < lp.length; c++) {
                total += Math.exp(lp[c] - max);
                cumulative[c] = total;
            }
            UniformRandomProvider r = rng(seed);
            ZigguratSampler.NormalizedGaussian z = ZigguratSampler.NormalizedGaussian.of(r);
            double[] width = {(box[1] - box[0]) / FINE, (box[3] - box[2]) / FINE, (box[5] - box[4]) / FINE};
            double[][] out = new double[n][];
            for (int s = 0; s < n; ) {
                int cell = java.util.Arrays.binarySearch(cumulative, r.nextDouble() * total);
                cell = Math.min(lp.length - 1, cell >= 0 ? cell : -cell - 1);
                int i = cell / (FINE * FINE);
                int j = cell / FINE % FINE;
                int k = cell % FINE;
                double a = box[0] + (i + r.nextDouble()) * width[0];
                double b = box[2] + (j + r.nextDouble()) * width[1];
                double c = box[4] + (k + r.nextDouble()) * width[2];
                double[] cov = covariance(a, b, c);
                // m from N(xbar, S / 4), by the Cholesky factor of S / 4.
                double l00 = Math.sqrt(cov[0] / 4);
                double l10 = cov[1] / 4 / l00;
                double l11 = Math.sqrt(Math.max(0, cov[2] / 4 - l10 * l10));
                double e0 = z.sample();
                double e1 = z.sample();
                double m0 = mean[0] + l00 * e0;
                double m1 = mean[1] + l10 * e0 + l11 * e1;
                boolean flip2 = r.nextBoolean();
                boolean flip3 = r.nextBoolean();
                if (Math.abs(m0) <= 3 && Math.abs(m1) <= 3) {
                    out[s++] = new double[] {m0, m1, flip2 ? -a : a, flip3 ? -b : b, c};
                }
            }
            return out;
        }

        /** S as the script builds it from |theta2|, |theta3|, theta4: {S00, S01, S11}. */
        static double[] covariance(double a, double b, double c) {
            double s1 = a * a;
            double s2 = b * b;
            double rho = Math.tanh(c);
            return new double[] {s1 * s1 + 1e-6, rho * s1 * s2, s2 * s2 + 1e-6};
        }

        /** log g at (|theta2|, |theta3|, theta4), up to a constant: -3/2 log |S| - tr(S^-1 W) / 2. */
        static double logMarginal(double a, double b, double c, double[] w) {
            double[] s = covariance(a, b, c);
            double det = s[0] * s[2] - s[1] * s[1];
            if (!(det > 0)) {
                return Double.NEGATIVE_INFINITY;
            }
            return -1.5 * Math.log(det) - 0.5 * (s[2] * w[0] - 2 * s[1] * w[1] + s[0] * w[2]) / det;
        }

        /** log g at the centres of m^3 cells over the box, indexed (i m + j) m + k. */
        private static double[] grid(double[] box, int m, double[] w) {
            double[] lp = new double[m * m * m];
            java.util.stream.IntStream.range(0, m).parallel().forEach(i -> {
                double a = box[0] + (i + 0.5) * (box[1] - box[0]) / m;
                for (int j = 0; j < m; j++) {
                    double b = box[2] + (j + 0.5) * (box[3] - box[2]) / m;
                    for (int k = 0; k < m; k++) {
                        double c = box[4] + (k + 0.5) * (box[5] - box[4]) / m;
                        lp[(i * m + j) * m + k] = logMarginal(a, b, c, w);
                    }
                }
            });
            return lp;
        }

        /** The box around the cells within 25 nats of the largest, widened by two cells each side, within the prior's. */
        private static double[] massBox(double[] box, double[] lp, int m) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : lp) {
                max = Math.max(max, v);
            }
            int[] lo = {m, m, m};
            int[] hi = {-1, -1, -1};
            for (int c = 0; c < lp.length; c++) {
                if (lp[c] > max - 25) {
                    int[] at = {c / (m * m), c / m % m, c % m};
                    for (int d = 0; d < 3; d++) {
                        lo[d] = Math.min(lo[d], at[d]);
                        hi[d] = Math.max(hi[d], at[d]);
                    }
                }
            }
            double[] prior = {0, 3, 0, 3, -3, 3};
            double[] out = new double[6];
            for (int d = 0; d < 3; d++) {
                double width = (box[2 * d + 1] - box[2 * d]) / m;
                out[2 * d] = Math.max(prior[2 * d], box[2 * d] + (lo[d] - 2) * width);
                out[2 * d + 1] = Math.min(prior[2 * d + 1], box[2 * d] + (hi[d] + 3) * width);
            }
            return out;
        }

        @Override
        public String describe() {
            return "exact but for a grid: (theta2, theta3, theta4) on " + FINE + "^3 cells, (theta0, theta1) Gaussian given them,"
                    + " the signs of theta2 and theta3 at random";
        }
    }

    /**
     * A long run of SMC with rejuvenation on the script: {@link #PARTICLES} particles, {@link #MOVES}
     * moves per resampling. slcp's reference until {@link SlcpGrid} replaced it: on observation 9 it
     * put 80% of the mass on theta2 > 0 and missed theta1 < 0 (docs/benchmarks.md); kept to
     * reproduce that comparison.
     */
    static final class SlcpSmc implements Reference {
        static final int PARTICLES = 20_000;
        static final int MOVES = 20;

        @Override
        public double[][] sample(Task task, Script script, Object x, int n, long seed) {
            return run(task, script, x, n, seed, PARTICLES, MOVES);
        }

        static double[][] run(Task task, Script script, Object x, int n, long seed, int particles, int moves) {
            SequentialMonteCarlo smc = new SequentialMonteCarlo(new SequentialMonteCarlo.Options(Proposal.PRIOR, 1.0, moves));
            Posterior p = task.condition(Inference.with(smc, task.model(script, x)), x).traces(particles).seed(seed).run();
            return task.draws(p, n, seed + 1);
        }

        @Override
        public String describe() {
            return "smc, " + PARTICLES + " particles, resampling at every observation, " + MOVES + " rejuvenation moves each";
        }
    }
}
