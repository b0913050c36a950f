package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.diagnostics.C2st;
import dev.probe.engines.smc.SequentialMonteCarlo;
import dev.probe.engines.smc.TemperedSmc;
import dev.probe.language.Script;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.inference.MetropolisHastings;
import dev.probe.runtime.inference.Proposal;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;

/**
 * {@code probe bench --sbi}: the simulation-based inference benchmark (sbibm). For each task,
 * observation, engine and simulation budget, the engine runs on the task's script within the
 * budget (every execution of the model counts, partial ones included: SMC's replays and
 * Metropolis-Hastings' moves), its posterior is resampled to equally weighted draws, and the C2ST
 * accuracy against the reference posterior's draws is computed as sbibm does.
 */
final class SbiBench {

    /** The engines the benchmark runs, each as it spends a budget. */
    static final List<String> ENGINES = List.of("is", "rmh", "smc", "smc-tempered", "is-fitted", "is-mixture");

    /**
     * The engines whose draws repeat (weighted particles resampled), which the kernel smooths
     * unless {@code --sbi-raw}; {@code rmh}'s draws are its chains thinned evenly, and
     * {@code smc-tempered}'s its particles after their last moves, both given as they are.
     */
    static final java.util.Set<String> SMOOTHED = java.util.Set.of("is", "smc");

    /**
     * Tempered SMC's options: the engine's defaults, rounds of moves (independence, block walk,
     * single site) at each temperature from 2 to 12 until the particles have moved one population
     * SD per site. On two_moons at 10^5 (10 observations, 10,000 draws) fixed rounds scored 0.541
     * (8 rounds), 0.535 (4) and 0.531 (3): eight rounds suit the two separate crescents, three the
     * observations whose crescents meet, and the adaptive rounds give each what it needs.
     */
    static final TemperedSmc.Options TEMPERED = TemperedSmc.Options.DEFAULT;

    /** The fewest particles a further run of tempered SMC takes; a budget left that pays for fewer is not spent. */
    static final int TEMPERED_LEAST = 64;

    /**
     * Under a budget of 25,600, further runs of tempered SMC are sized by this multiple of the
     * most executions per particle a run has taken (their rounds and temperatures vary from run to run).
     */
    static final double TEMPERED_MARGIN = 1.5;

    /** SMC's rejuvenation moves per resampling. */
    static final int SMC_MOVES = 4;

    /**
     * Metropolis-Hastings chains. Enough that a posterior with separate modes gets its chains
     * shared between them by the prior's draws of their starts (two_moons' two crescents: 4
     * chains scored 0.560 at 10^5, 40 chains 0.527).
     */
    static final int CHAINS = 40;

    /** What one engine run gave: its draws and how many model executions it took. */
    record Result(double[][] draws, long runs, String note) {
        Result(double[][] draws, long runs) {
            this(draws, runs, "");
        }
    }

    /**
     * A model that counts its executions and refuses any past {@code limit}: the execution that
     * would overspend the budget throws {@link BudgetSpent} instead of running, so no engine can
     * take more runs than its budget, whatever its sizing rule guessed.
     */
    static final class Counting implements Model {
        final Model body;
        final long limit;
        final AtomicLong runs = new AtomicLong();

        Counting(Model body, long limit) {
            this.body = body;
            this.limit = limit;
        }

        @Override
        public Object run(Context context) {
            if (runs.incrementAndGet() > limit) {
                runs.decrementAndGet();
                throw new BudgetSpent(limit);
            }
            return body.run(context);
        }

        @Override
        public String name() {
            return body.name();
        }

        @Override
        public String identity() {
            return body.identity();
        }
    }

    /** An execution refused because the budget is spent (the engine that asked for it overran its sizing). */
    static final class BudgetSpent extends dev.probe.runtime.model.ModelException {
        private static final long serialVersionUID = 1L;

        BudgetSpent(long limit) {
            super("the budget of " + limit + " model executions is spent");
        }

        /** Whether {@code e} or one of its causes is a refused execution. */
        static boolean in(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof BudgetSpent) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The stored observations: task name to a list of {seed, theta, x}. */
    static Map<String, List<Map<String, Object>>> loadObservations(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("no " + file + "; run `probe bench --sbi --draw-observations` from the repository root,"
                    + " or give --sbi-dir");
        }
        return Json.MAPPER.readValue(file.toFile(), new TypeReference<Map<String, List<Map<String, Object>>>>() {
        });
    }

    /** Draws every task's observations from its script with the fixed seeds, as the file stores them. */
    static Map<String, List<Map<String, Object>>> drawObservations(Path dir) throws IOException {
        Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
        for (SbiTasks.Task t : SbiTasks.ALL) {
            Script script = t.script(dir);
            List<Map<String, Object>> list = new ArrayList<>();
            for (int k = 0; k < SbiTasks.OBSERVATIONS; k++) {
                list.add(new LinkedHashMap<>(new java.util.TreeMap<>(SbiTasks.drawObservation(t, script, k))));
            }
            out.put(t.name(), list);
        }
        return out;
    }

    /**
     * Runs {@code engine} on the task's script conditioned on {@code x}, spending at most
     * {@code budget} model executions.
     */
    static Result run(SbiTasks.Task task, Script script, Object x, String engine, int budget, int draws, boolean smooth,
            long seed) {
        Counting model = new Counting(task.model(script, x), budget);
        StringBuilder stages = new StringBuilder();
        Posterior p;
        switch (engine) {
            case "is" -> p = task.condition(Inference.importanceSampling(model), x).traces(budget).seed(seed).threads(1).run();
            case "rmh" -> {
                // A tenth of each chain's steps is burn-in; every step is one execution, and so is
                // each chain's start (a few more where the prior's first draws have zero likelihood).
                // Chains of at least 100 steps: fewer of them at small budgets.
                int chains = Math.max(1, Math.min(CHAINS, budget / 100));
                int perChain = (budget - 4 * chains) / chains;
                int burnIn = perChain / 10;
                MetropolisHastings mh = new MetropolisHastings(new MetropolisHastings.Options(chains, burnIn, 1));
                p = task.condition(Inference.with(mh, model), x).traces(chains * (perChain - burnIn)).seed(seed).threads(1).run();
            }
            case "smc" -> {
                // Resampling at every observation makes the executions per particle fixed: a pilot
                // of a few particles measures them, and the rest of the budget sets the particles.
                // The pilot has 32 particles, fewer under a budget of 9,600 (a particle costs an
                // execution per observation and SMC_MOVES per resampling: 32 of them overspent
                // 10^3 on gaussian_linear). Where the budget left pays for fewer than 2 particles,
                // the pilot's are the posterior.
                SequentialMonteCarlo smc = new SequentialMonteCarlo(new SequentialMonteCarlo.Options(Proposal.PRIOR, 1.0, SMC_MOVES));
                int pilot = Math.max(2, Math.min(32, budget / 300));
                Posterior first = task.condition(Inference.with(smc, model), x).traces(pilot).seed(seed + 7).threads(1).run();
                long perParticle = Math.max(1, (model.runs.get() + pilot - 1) / pilot);
                long particles = (budget - model.runs.get()) / perParticle;
                p = particles < 2 ? first
                        : task.condition(Inference.with(smc, model), x).traces((int) particles).seed(seed).threads(1).run();
            }
            case "smc-tempered" -> {
                return tempered(task, model, x, budget, draws, seed);
            }
            case "is-fitted" -> p = fitted(task, model, x, budget, seed, stages);
            case "is-mixture" -> {
                return mixture(task, model, x, budget, draws, seed);
            }
            default -> throw new UsageException("no engine '" + engine + "' in the sbi benchmark; it runs " + String.join(", ", ENGINES));
        }
        boolean kernel = smooth && SMOOTHED.contains(engine);
        double[][] out = kernel ? task.smoothed(p, draws, seed + 1) : task.draws(p, draws, seed + 1);
        return new Result(out, model.runs.get(), engine.equals("is-fitted") ? stages + weightsNote(p, out) : "");
    }

    /** The ESS of a weighted posterior's last runs and how many of the draws made from them are distinct. */
    static String weightsNote(Posterior p, double[][] draws) {
        return weightsNote(dev.probe.diagnostics.Samples.of(p).weights(), draws);
    }

    /** The ESS of weighted runs and how many of the draws made from them are distinct. */
    static String weightsNote(double[] w, double[][] draws) {
        double total = 0;
        double squares = 0;
        double max = 0;
        for (double v : w) {
            total += v;
            squares += v * v;
            max = Math.max(max, v);
        }
        java.util.Set<java.util.List<Double>> distinct = new java.util.HashSet<>();
        for (double[] d : draws) {
            distinct.add(java.util.Arrays.stream(d).boxed().toList());
        }
        return String.format(Locale.ROOT, "last stage: %,d runs, ESS %,.0f, largest weight %.2g of the total; %,d distinct draws of %,d",
                w.length, total * total / squares, max / total, distinct.size(), draws.length);
    }

    /** The standard deviations of {@code is-fitted}'s proposals, as multiples of the fitted ones: its second stage's, its last's. */
    static final double FIT_WIDE = 1.5;
    static final double FIT_NARROW = 1.1;

    /**
     * Importance sampling with a Gaussian proposal fitted in stages (population Monte Carlo,
     * Cappé et al. 2004), within a budget: a pilot of tempered SMC (2 fixed rounds of moves at each
     * temperature, about budget / 300 particles), importance sampling with a Gaussian fitted to the
     * pilot's particles (its standard deviations widened by {@link #FIT_WIDE}) for a tenth of the
     * budget, then importance sampling with a Gaussian fitted to those weighted runs (widened by
     * {@link #FIT_NARROW}) for every execution left. The last stage's runs are independent, and where
     * the proposal is close to the posterior their weights are nearly equal, so the systematic
     * resampling of 10,000 draws from them repeats none (no run holds more than 1 / 10,000 of the
     * weight): the draws are independent, unlike a chain's thinned steps or resampled particles.
     */
    static Posterior fitted(SbiTasks.Task task, Counting model, Object x, int budget, long seed, StringBuilder stages) {
        int particles = Math.max(16, Math.min(512, budget / 300));
        TemperedSmc pilotEngine = new TemperedSmc(new TemperedSmc.Options(Proposal.PRIOR, 0.5, 0.5, 2));
        Posterior p;
        while (true) {
            try {
                p = task.condition(Inference.with(pilotEngine, model), x).traces(particles).seed(seed + 11).threads(1).run();
                break;
            } catch (dev.probe.runtime.model.ModelException e) {
                // Every pilot particle drawn where the likelihood is zero (two_moons' observation 8 at
                // 10^4: 33 particles from the prior, none right of the moon's centre): twice the
                // particles, while the budget left pays for them three times over.
                if (BudgetSpent.in(e) || budget - model.runs.get() < 6L * particles) {
                    throw e;
                }
                stages.append(String.format(Locale.ROOT, "pilot of %,d particles had no weight; ", particles));
                particles *= 2;
            }
        }
        stages.append(String.format(Locale.ROOT, "pilot: %,d particles, %,d runs; ", particles, model.runs.get()));
        double[] widths = {FIT_WIDE, FIT_NARROW};
        for (int stage = 0; stage < widths.length; stage++) {
            long left = budget - model.runs.get();
            int n = (int) (stage == widths.length - 1 ? left : Math.min(left / 2, budget / 10));
            if (n < 2 * task.parameters().size()) {
                break;
            }
            FittedGaussian q = new FittedGaussian(p, task.parameters(), widths[stage]);
            p = task.condition(Inference.importanceSampling(model).proposal(q), x).traces(n).seed(seed + 12 + stage).threads(1).run();
        }
        return p;
    }

    /** The parameters' columns of a posterior as rows, and its weights. */
    static double[][] rows(Posterior p, List<String> parameters, double[][] weightsOut) {
        dev.probe.diagnostics.Samples s = dev.probe.diagnostics.Samples.of(p);
        double[] w = s.weights();
        double[][] cols = new double[parameters.size()][];
        for (int j = 0; j < cols.length; j++) {
            cols[j] = s.column(parameters.get(j));
        }
        List<double[]> out = new ArrayList<>();
        List<Double> ws = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            if (!(w[i] > 0)) {
                continue;
            }
            double[] r = new double[cols.length];
            boolean ok = true;
            for (int j = 0; j < cols.length; j++) {
                r[j] = cols[j][i];
                ok &= !Double.isNaN(r[j]);
            }
            if (ok) {
                out.add(r);
                ws.add(w[i]);
            }
        }
        weightsOut[0] = ws.stream().mapToDouble(Double::doubleValue).toArray();
        return out.toArray(new double[0][]);
    }

    /** {@code is-mixture}: Gaussian components fitted at each stage (at most; EM drops those with too few points). */
    static final int MIX_COMPONENTS = 30;

    /** {@code is-mixture}'s stages of importance sampling: five of 8% of the budget each, then the rest. */
    static final int MIX_STAGES = 6;

    /** {@code is-mixture}'s pilot chains whose median log joint is more than this many nats under the best chain's are left out of the first fit. */
    static final double MIX_PRUNE = 3;

    /**
     * {@code is-mixture} fits to weights clipped at the this-th largest (nonlinear PMC). On slcp's
     * observation 9, whose first stages had an ESS of 2-8, clipping at the 300th largest spread each
     * fit over runs without mass (last-stage ESS 299, C2ST 0.711); at the 100th, ESS 4,028 and
     * 0.534; observation 10 went from 0.524 to 0.499 and the other eight moved by at most 0.007
     * (docs/benchmarks.md).
     */
    static final int MIX_CLIP = 100;

    /** {@code is-mixture} fits to at most this many of the heaviest runs. */
    static final int MIX_KEEP = 6_000;

    /**
     * The share of {@code is-mixture}'s fitted components' weight given to their mirror images
     * through 0, a tenth of it per coordinate on slcp's five ({@link FittedMixture#mirrored}): how
     * the stages find the sign modes that the pilot's chains missed, without being told which
     * parameters' signs the posterior ignores.
     */
    static final double MIX_MIRROR = 0.1;

    /**
     * Importance sampling with Gaussian-mixture proposals fitted in stages (population Monte Carlo
     * with mixtures, Cappé et al. 2008), within a budget. A pilot of {@link #CHAINS}
     * Metropolis-Hastings chains on a fifth of the budget (a fifth of each chain burn-in); the
     * chains whose median log joint is more than {@link #MIX_PRUNE} nats under the best chain's
     * (stuck outside a funnel) are left out. Then {@link #MIX_STAGES} stages of importance
     * sampling, five of 8% of the budget and the last with every execution left, each from a
     * {@link FittedMixture} of up to {@link #MIX_COMPONENTS} Gaussians fitted by weighted EM (to
     * the pilot's kept draws first, then to every importance run so far, their weights clipped at
     * the {@link #MIX_CLIP}-th largest as in nonlinear PMC, Koblents and Míguez 2015, so that a
     * few heavy runs cannot pull every component onto themselves), proposing 80% from the fit,
     * 17% from the fit with its standard deviations doubled and 3% from the prior, where "the fit"
     * gives {@link #MIX_MIRROR} of its weight to its mirror images through 0. The draws are
     * the last stage's runs resampled systematically.
     */
    static Result mixture(SbiTasks.Task task, Counting model, Object x, int budget, int draws, long seed) {
        int pilotRuns = budget / 5;
        int chains = Math.max(1, Math.min(CHAINS, pilotRuns / 100));
        int perChain = (pilotRuns - 4 * chains) / chains;
        int burnIn = perChain / 5;
        MetropolisHastings mh = new MetropolisHastings(new MetropolisHastings.Options(chains, burnIn, 1));
        Posterior p = task.condition(Inference.with(mh, model), x).traces(chains * (perChain - burnIn)).seed(seed + 21).threads(1)
                .keepTraces(true).run();
        double[] widths = {1, 2};
        double[] shares = {0.80, 0.17};
        double priorShare = 0.03;
        double[][] w = new double[1][];
        double[][] pts = rows(p, task.parameters(), w);
        double[] fitWeights = pts.length == p.size() ? prunedChains(p, w[0]) : w[0];
        List<double[]> fitPool = new ArrayList<>();
        double[][] last = null;
        double[] lastWeights = null;
        boolean verbose = Boolean.getBoolean("probe.sbi.verbose");
        for (int stage = 0; stage < MIX_STAGES; stage++) {
            long left = budget - model.runs.get();
            int n = (int) (stage == MIX_STAGES - 1 ? left : Math.min(left / (MIX_STAGES - stage), budget * 8L / 100));
            List<FittedMixture.Component> fit = FittedMixture.mirrored(
                    FittedMixture.fit(pts, fitWeights, MIX_COMPONENTS, 50, seed + 30 + stage), MIX_MIRROR);
            FittedMixture q = new FittedMixture(fit, task.parameters(), widths, shares, priorShare);
            p = task.condition(Inference.importanceSampling(model).proposal(q), x).traces(n).seed(seed + 40 + stage).threads(1).run();
            if (verbose) {
                System.err.printf(Locale.ROOT, "  stage %d: %d components fitted on %d points; %s%n", stage, fit.size(), pts.length,
                        weightsNote(p, task.draws(p, draws, seed)));
            }
            // This stage's runs with their unnormalised weights (prior times likelihood over proposal): N Z w_i.
            double[][] sw = new double[1][];
            last = rows(p, task.parameters(), sw);
            lastWeights = sw[0];
            double shift = Math.log(n) + p.logEvidence().orElseThrow();
            for (int i = 0; i < last.length; i++) {
                double[] r = java.util.Arrays.copyOf(last[i], last[i].length + 1);
                r[last[i].length] = Math.log(lastWeights[i]) + shift;
                fitPool.add(r);
            }
            if (fitPool.isEmpty()) {
                continue;   // no run with weight yet: the next stage proposes from the same points
            }
            // The next fit: the heaviest runs so far (at most MIX_KEEP, none under 1e-4 of the clip), weights clipped.
            double[] lw = new double[fitPool.size()];
            for (int i = 0; i < lw.length; i++) {
                lw[i] = fitPool.get(i)[task.parameters().size()];
            }
            double[] clipped = clipped(lw, MIX_CLIP);
            Integer[] order = new Integer[lw.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(clipped[b], clipped[a]));
            int m = 0;
            while (m < Math.min(MIX_KEEP, order.length) && clipped[order[m]] >= 1e-4) {
                m++;
            }
            pts = new double[m][];
            fitWeights = new double[m];
            for (int i = 0; i < m; i++) {
                double[] r = fitPool.get(order[i]);
                pts[i] = java.util.Arrays.copyOf(r, r.length - 1);
                fitWeights[i] = clipped[order[i]];
            }
        }
        Map<String, double[]> columns = new LinkedHashMap<>();
        for (int j = 0; j < task.parameters().size(); j++) {
            double[] col = new double[last.length];
            for (int i = 0; i < last.length; i++) {
                col[i] = last[i][j];
            }
            columns.put(task.parameters().get(j), col);
        }
        double[][] out = new dev.probe.diagnostics.Samples(columns, lastWeights, null).equallyWeighted(task.parameters(), draws, seed + 1);
        return new Result(out, model.runs.get(), weightsNote(lastWeights, out));
    }

    /**
     * The pilot chains' draws' weights, zero for the chains whose median log joint is more than
     * {@link #MIX_PRUNE} nats under the best chain's.
     */
    static double[] prunedChains(Posterior p, double[] w) {
        int[] chain = dev.probe.diagnostics.Samples.of(p).chains();
        if (chain == null) {
            return w;
        }
        List<List<Double>> byChain = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            while (byChain.size() <= chain[i]) {
                byChain.add(new ArrayList<>());
            }
            byChain.get(chain[i]).add(p.traces().get(i).logJoint());
        }
        double[] median = new double[byChain.size()];
        double best = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < median.length; c++) {
            List<Double> l = byChain.get(c);
            java.util.Collections.sort(l);
            median[c] = l.isEmpty() ? Double.NEGATIVE_INFINITY : l.get(l.size() / 2);
            best = Math.max(best, median[c]);
        }
        double[] out = w.clone();
        for (int i = 0; i < out.length; i++) {
            if (median[chain[i]] < best - MIX_PRUNE) {
                out[i] = 0;
            }
        }
        return out;
    }

    /** exp of the log weights, those above the m-th largest set to it. */
    static double[] clipped(double[] logW, int m) {
        double[] sorted = logW.clone();
        java.util.Arrays.sort(sorted);
        double cap = sorted[Math.max(0, sorted.length - m)];
        double[] out = new double[logW.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.exp(Math.min(logW[i], cap) - cap);
        }
        return out;
    }

    /**
     * Tempered SMC within a budget: independent runs, each as many particles as the budget left
     * can pay for if every temperature took its most rounds ({@link TemperedSmc.Options#maxRounds}
     * of three executions each) and the schedule one temperature more than any run so far, until
     * fewer than {@link #TEMPERED_LEAST} particles could run; the first run has 128 particles (fewer
     * under 25,600, where the next runs are sized by what the runs so far cost, as the comment
     * below says). The runs are pooled as one SMC sampler's islands: run k's draws are a
     * share of the whole proportional to N_k Z_k (its particles times its evidence estimate).
     */
    static Result tempered(SbiTasks.Task task, Counting model, Object x, int budget, int draws, long seed) {
        TemperedSmc smc = new TemperedSmc(TEMPERED);
        List<Posterior> runs = new ArrayList<>();
        int particles = Math.max(8, Math.min(128, budget / 200));
        // Under 25,600 the worst case (every temperature at its most rounds) would stop after the
        // first run, which spends a fifth to two fifths of 10^3 or 10^4: there, each next run is
        // sized by the most executions per particle a run has taken so far, times TEMPERED_MARGIN,
        // down to 8 particles (the fewest a first run has); a run that still reaches the budget is
        // stopped there by the counting model and left out of the pool.
        boolean small = particles < 128;
        int least = small ? 8 : TEMPERED_LEAST;
        int temperatures = 0;
        double perParticle = 0;
        StringBuilder note = new StringBuilder();
        while (true) {
            long before = model.runs.get();
            Posterior p;
            try {
                p = task.condition(Inference.with(smc, model), x).traces(particles).seed(seed + runs.size()).threads(1).run();
            } catch (dev.probe.runtime.model.ModelException e) {
                if (runs.isEmpty() || !BudgetSpent.in(e)) {
                    throw e;
                }
                note.append(String.format(Locale.ROOT, "; a run of %,d particles reached the budget after %,d runs and was left out",
                        particles, model.runs.get() - before));
                break;
            }
            runs.add(p);
            temperatures = Math.max(temperatures, p.diagnostics(TemperedSmc.Report.class).temperatures());
            perParticle = Math.max(perParticle, (model.runs.get() - before) / (double) particles);
            note.append(runs.size() == 1 ? "" : ", ").append(String.format(Locale.ROOT, "%,d", particles));
            long worst = small ? (long) Math.ceil(TEMPERED_MARGIN * perParticle)
                    : 1 + 3L * smc.options().maxRounds() * (temperatures + 1);
            long n = (budget - model.runs.get()) / worst;
            if (n < least) {
                break;
            }
            particles = (int) n;
        }
        note.insert(0, String.format(Locale.ROOT, "%d run%s of tempered SMC pooled, particles ", runs.size(), runs.size() == 1 ? "" : "s"));
        double[] log = new double[runs.size()];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < log.length; k++) {
            log[k] = Math.log(runs.get(k).size()) + runs.get(k).logEvidence().orElseThrow();
            max = Math.max(max, log[k]);
        }
        double total = 0;
        for (int k = 0; k < log.length; k++) {
            log[k] = Math.exp(log[k] - max);
            total += log[k];
        }
        // Each run's share of the draws, rounded down, the rest going to the largest remainders' runs in turn.
        int[] counts = new int[log.length];
        int given = 0;
        for (int k = 0; k < log.length; k++) {
            counts[k] = (int) Math.floor(draws * log[k] / total);
            given += counts[k];
        }
        for (int r = 0; given < draws; r++, given++) {
            int best = 0;
            double bestRest = -1;
            for (int k = 0; k < log.length; k++) {
                double rest = draws * log[k] / total - counts[k];
                if (rest > bestRest) {
                    bestRest = rest;
                    best = k;
                }
            }
            counts[best]++;
        }
        double[][] out = new double[draws][];
        int at = 0;
        for (int k = 0; k < log.length; k++) {
            if (counts[k] > 0) {
                for (double[] d : task.draws(runs.get(k), counts[k], seed + 1 + k)) {
                    out[at++] = d;
                }
            }
        }
        // The runs' draws interleaved at random, so that no fold of the C2ST holds one run's alone.
        java.util.Collections.shuffle(java.util.Arrays.asList(out), new java.util.Random(seed + 2));
        return new Result(out, model.runs.get(), note.toString());
    }

    /**
     * Options of one benchmark: observations {@code first} to {@code first + observations - 1}
     * (0-based) of each task. Each observation's seeds are its own, so a range run alone gives
     * the figures the whole run gives for it.
     */
    record Options(List<String> tasks, List<String> engines, List<Integer> budgets, int first, int observations, int draws,
            boolean smooth, Path dir) {
    }

    /** Runs the benchmark and prints its table. */
    static void run(PrintWriter out, PrintWriter err, ObjectNode root, boolean json, Options o) throws IOException {
        Map<String, List<Map<String, Object>>> observations = loadObservations(o.dir().resolve("observations.json"));
        ArrayNode rows = root.putArray("sbi");
        if (!json) {
            out.printf(Locale.ROOT, "mean C2ST over %d observations (%d-%d), %,d draws each%s (0.5: indistinguishable from the reference)%n",
                    o.observations(), o.first() + 1, o.first() + o.observations(), o.draws(), o.smooth() ? ", is and smc kernel-smoothed" : "");
            out.printf(Locale.ROOT, "%-24s %-12s", "task", "engine");
            for (int b : o.budgets()) {
                out.printf(Locale.ROOT, " %14s", "C2ST @ " + b);
            }
            out.printf(Locale.ROOT, " %10s %14s%n", "max runs", "paper @ 10^5");
            out.flush();
        }
        for (String name : o.tasks()) {
            SbiTasks.Task task = SbiTasks.find(name);
            Script script = task.script(o.dir());
            List<Map<String, Object>> obs = observations.get(name);
            if (obs == null || obs.size() < o.first() + o.observations()) {
                throw new UsageException(o.dir().resolve("observations.json") + " holds fewer than " + (o.first() + o.observations())
                        + " observations of " + name + "; run `probe bench --sbi --draw-observations`");
            }
            List<double[][]> references = new ArrayList<>();
            for (int k = o.first(); k < o.first() + o.observations(); k++) {
                err.printf(Locale.ROOT, "probe bench --sbi: %s reference %d (%s)...%n", name, k + 1, task.reference().describe());
                err.flush();
                references.add(task.reference().sample(task, script, obs.get(k).get("x"), o.draws(), 77 + k));
            }
            for (String engine : o.engines()) {
                double[] means = new double[o.budgets().size()];
                long maxRuns = 0;
                ObjectNode row = rows.addObject();
                row.put("task", name);
                row.put("engine", engine);
                row.put("paper_best", task.best());
                row.put("paper_method", task.bestMethod());
                ObjectNode byBudget = row.putObject("c2st");
                for (int bi = 0; bi < o.budgets().size(); bi++) {
                    int budget = o.budgets().get(bi);
                    ArrayNode each = byBudget.putArray(String.valueOf(budget));
                    double sum = 0;
                    for (int k = o.first(); k < o.first() + o.observations(); k++) {
                        err.printf(Locale.ROOT, "probe bench --sbi: %s %s budget %d observation %d...%n", name, engine, budget, k + 1);
                        err.flush();
                        Result r;
                        try {
                            r = run(task, script, obs.get(k).get("x"), engine, budget, o.draws(), o.smooth(), 1000 + k);
                        } catch (dev.probe.runtime.model.ModelException e) {
                            // An engine that finds no posterior within the budget (every particle
                            // at zero weight) scores as a classifier that always tells: 1.0.
                            err.printf(Locale.ROOT, "probe bench --sbi:   failed (%s); counted as C2ST 1.0%n", e.getMessage());
                            each.add(1.0);
                            sum += 1;
                            continue;
                        }
                        maxRuns = Math.max(maxRuns, r.runs() * 1000 / budget);
                        if (!r.note().isEmpty()) {
                            err.printf(Locale.ROOT, "probe bench --sbi:   %s%n", r.note());
                            err.flush();
                        }
                        long t0 = System.nanoTime();
                        double c = C2st.accuracy(references.get(k - o.first()), r.draws(), 42 + k);
                        err.printf(Locale.ROOT, "probe bench --sbi:   %,d runs, C2ST %.3f (%.1f s)%n", r.runs(), c, (System.nanoTime() - t0) / 1e9);
                        each.add(Math.round(c * 1e4) / 1e4);
                        sum += c;
                    }
                    means[bi] = sum / o.observations();
                }
                // Over 100% would mean an engine overspent its budget (the table shows it; none should).
                row.put("max_runs_per_mille_of_budget", maxRuns);
                if (!json) {
                    out.printf(Locale.ROOT, "%-24s %-12s", name, engine);
                    for (double m : means) {
                        out.printf(Locale.ROOT, " %14.3f", m);
                    }
                    out.printf(Locale.ROOT, " %9.1f%% %9.3f %-4s%n", maxRuns / 10.0, task.best(), task.bestMethod());
                    out.flush();
                }
            }
        }
    }
}
