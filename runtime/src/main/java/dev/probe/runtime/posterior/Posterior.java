package dev.probe.runtime.posterior;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

import org.apache.commons.rng.UniformRandomProvider;

import dev.probe.runtime.inference.Seeds;
import dev.probe.runtime.trace.Trace;

/**
 * A posterior as a weighted empirical distribution over runs. It keeps columns of values and a
 * log weight per run, not trace objects (unless whole traces were asked for), so ten million runs
 * fit in a default heap. Samples from Metropolis-Hastings carry equal weights and their chain
 * lengths, from which effective sample sizes come by autocorrelation. Immutable.
 */
public final class Posterior {

    private final double[] logWeights;
    /** Normalised weights, computed when first needed: a posterior that is only saved never needs them. */
    private volatile double[] weights;
    /** The effective sample size, computed when first asked for (NaN until then): the summary and the diagnostics share it. */
    private volatile double ess = Double.NaN;
    private final Map<String, ColumnData> named;
    private final Map<String, ColumnData> byAddress;
    private final ColumnData result;
    private final double logEvidence;
    private final int[] chains;
    private final Map<String, String> info;
    private final List<Trace> traces;
    private final Diagnostics diagnostics;
    private final Map<String, Marginal> marginals = new java.util.concurrent.ConcurrentHashMap<>();

    Posterior(double[] logWeights, Map<String, ColumnData> named, Map<String, ColumnData> byAddress, ColumnData result,
            double logEvidence, int[] chains, Map<String, String> info, List<Trace> traces) {
        this(logWeights, named, byAddress, result, logEvidence, chains, info, traces, Diagnostics.NONE);
    }

    Posterior(double[] logWeights, Map<String, ColumnData> named, Map<String, ColumnData> byAddress, ColumnData result,
            double logEvidence, int[] chains, Map<String, String> info, List<Trace> traces, Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
        this.logWeights = logWeights;
        this.named = Collections.unmodifiableMap(named);
        this.byAddress = Collections.unmodifiableMap(byAddress);
        this.result = result;
        this.logEvidence = logEvidence;
        this.chains = chains;
        this.info = Collections.unmodifiableMap(new LinkedHashMap<>(info));
        this.traces = traces == null ? null : Collections.unmodifiableList(traces);
    }

    /** The number of runs (or kept Metropolis-Hastings samples). */
    public int size() {
        return logWeights.length;
    }

    /** Whether the runs carry importance weights (false for Metropolis-Hastings and prior samples). */
    public boolean isWeighted() {
        return chains == null && !info.getOrDefault("engine", "").equals("prior");
    }

    /** The chain lengths of Metropolis-Hastings samples, or null for independent runs. */
    public int[] chainLengths() {
        return chains == null ? null : chains.clone();
    }

    /** Each run's log weight (a copy). */
    public double[] logWeights() {
        return logWeights.clone();
    }

    /**
     * Each run's log weight, as {@link #logWeights} gives them but without a copy: a read-only view
     * of the posterior's own array (its bulk {@code get}s copy ranges of it where they are needed).
     */
    public java.nio.DoubleBuffer logWeightsView() {
        return java.nio.DoubleBuffer.wrap(logWeights).asReadOnlyBuffer();
    }

    /** Run i's weight, the weights summing to one. */
    public double weight(int i) {
        return weights()[i];
    }

    private double[] weights() {
        double[] w = weights;
        if (w == null) {
            w = Statistics.normalize(logWeights);
            weights = w;
        }
        return w;
    }

    /**
     * The effective sample size: Kish's (sum w)^2 / sum w^2 for independent runs; for
     * Metropolis-Hastings, the smallest autocorrelation ESS among the named scalar variables
     * present in every sample (the result's if there are none).
     */
    public double ess() {
        double e = ess;
        if (Double.isNaN(e)) {
            e = computeEss();
            ess = e;
        }
        return e;
    }

    private double computeEss() {
        if (chains == null) {
            return Statistics.kish(weights());
        }
        double min = Double.POSITIVE_INFINITY;
        for (String key : named.keySet()) {
            Marginal m = marginal(key);
            if (m.isScalar() && m.count() == size()) {
                min = Math.min(min, m.ess());
            }
        }
        if (min == Double.POSITIVE_INFINITY && result != null) {
            Marginal r = result();
            if (r.isScalar() && r.count() == size()) {
                min = r.ess();
            }
        }
        return min == Double.POSITIVE_INFINITY ? size() : min;
    }

    /** The estimate of the log marginal likelihood, where the engine gives one. */
    public OptionalDouble logEvidence() {
        return Double.isNaN(logEvidence) ? OptionalDouble.empty() : OptionalDouble.of(logEvidence);
    }

    /** The keys of the named samples, simulated observations and tags, in the order runs met them. */
    public List<String> names() {
        return new ArrayList<>(named.keySet());
    }

    /** The keys of the unnamed samples that were recorded, by address. */
    public List<String> addresses() {
        return new ArrayList<>(byAddress.keySet());
    }

    /** Whether a named variable has this key. */
    public boolean has(String key) {
        return named.containsKey(key);
    }

    /** The marginal of a named variable: {@code name} or {@code name[k]}. */
    public Marginal marginal(String key) {
        ColumnData c = named.get(key);
        if (c == null) {
            throw new IllegalArgumentException("no variable '" + key + "' in this posterior; it has " + names());
        }
        return marginals.computeIfAbsent("n" + key, k -> Marginal.of(key, c, weights(), chains));
    }

    /** The marginal of an unnamed sample by its address key (with {@code [k]} where it repeats). */
    public Marginal marginalByAddress(String address) {
        ColumnData c = byAddress.get(address);
        if (c == null) {
            c = named.get(address);
        }
        if (c == null) {
            throw new IllegalArgumentException("no address '" + address + "' in this posterior; it has "
                    + addresses() + " (unnamed samples are kept only when recording addresses was asked for)");
        }
        ColumnData column = c;
        return marginals.computeIfAbsent("a" + address, k -> Marginal.of(address, column, weights(), chains));
    }

    /** Whether runs returned results. */
    public boolean hasResult() {
        return result != null;
    }

    /** The marginal of the program's result. */
    public Marginal result() {
        if (result == null) {
            throw new IllegalStateException("the model returned no result");
        }
        return marginals.computeIfAbsent("r", k -> Marginal.of("result", result, weights(), chains));
    }

    /** Run i's value of a named variable (null where it did not occur). */
    public Object value(String key, int run) {
        ColumnData c = named.get(key);
        if (c == null) {
            throw new IllegalArgumentException("no variable '" + key + "' in this posterior; it has " + names());
        }
        return c.get(run);
    }

    /**
     * A named variable's values, run by run, as a column of numbers without boxing: booleans as 1
     * and 0, NaN where a run did not reach it (a copy); null when its values are not numbers
     * (arrays, text).
     */
    public double[] numbers(String key) {
        ColumnData c = named.get(key);
        if (c == null) {
            throw new IllegalArgumentException("no variable '" + key + "' in this posterior; it has " + names());
        }
        return c.kind() != null && c.kind().numeric() ? Arrays.copyOf(c.numbers(), size()) : null;
    }

    /**
     * A named variable's values, run by run, as {@link #numbers} gives them but without a copy: a
     * read-only view of the posterior's own column (its bulk {@code get}s copy ranges of it where
     * they are needed); null when its values are not numbers.
     */
    public java.nio.DoubleBuffer numbersView(String key) {
        ColumnData c = named.get(key);
        if (c == null) {
            throw new IllegalArgumentException("no variable '" + key + "' in this posterior; it has " + names());
        }
        return c.kind() != null && c.kind().numeric() ? java.nio.DoubleBuffer.wrap(c.numbers(), 0, size()).slice().asReadOnlyBuffer() : null;
    }

    /** Run i's result. */
    public Object resultValue(int run) {
        return result == null ? null : result.get(run);
    }

    /** The weighted quantile of a scalar named variable at probability {@code p} in [0, 1]. */
    public double quantile(String key, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("a quantile's probability must be in [0, 1], got " + p);
        }
        ColumnData c = named.get(key);
        if (c == null || !c.kind().numeric()) {
            throw new IllegalArgumentException("'" + key + "' is not a scalar variable of this posterior");
        }
        double[] x = c.numbers();
        int count = 0;
        for (double v : x) {
            if (!Double.isNaN(v)) {
                count++;
            }
        }
        double[] values = new double[count];
        double[] w = new double[count];
        double total = 0;
        for (int i = 0, j = 0; i < x.length; i++) {
            if (!Double.isNaN(x[i])) {
                values[j] = x[i];
                w[j++] = weight(i);
                total += weight(i);
            }
        }
        Statistics.sortTogether(values, w);
        return Statistics.quantileOfSorted(values, w, total, p);
    }

    /**
     * What made this posterior (engine, model, seed, configuration) and its engine's diagnostic
     * figures, as text: what posterior files record. {@link #provenance} and {@link #diagnostics}
     * give the same, typed.
     */
    public Map<String, String> info() {
        return info;
    }

    /** Where this posterior came from. */
    public Provenance provenance() {
        return Provenance.fromInfo(info);
    }

    /**
     * The engine's diagnostics: a record of the engine's own type for a posterior just made
     * ({@link #diagnostics(Class)} casts it), {@link Diagnostics#NONE} for one loaded from a file
     * (whose figures remain in {@link #info}).
     */
    public Diagnostics diagnostics() {
        return diagnostics;
    }

    /** The engine's diagnostics as the given type, or an exception naming the type it has. */
    public <D extends Diagnostics> D diagnostics(Class<D> type) {
        if (!type.isInstance(diagnostics)) {
            throw new IllegalStateException("this posterior's diagnostics are " + diagnostics.getClass().getSimpleName()
                    + ", not " + type.getSimpleName());
        }
        return type.cast(diagnostics);
    }

    /** Every run's whole trace, if they were kept. */
    public List<Trace> traces() {
        if (traces == null) {
            throw new IllegalStateException("whole traces were not kept: ask for them before running (keepTraces)");
        }
        return traces;
    }

    /**
     * An unweighted posterior of {@code n} runs drawn from this one in proportion to their weights
     * (systematic resampling, which keeps the variance low).
     */
    public Posterior resample(int n, long seed) {
        if (n <= 0) {
            throw new IllegalArgumentException("resample: the number of runs must be positive, got " + n);
        }
        double[] weights = weights();
        if (Statistics.kish(weights) == 0) {
            throw new IllegalStateException("resample: every run has zero weight");
        }
        UniformRandomProvider rng = Seeds.generator(seed, 0x9E3779B97F4A7C15L);
        int[] pick = new int[n];
        double u = rng.nextDouble() / n;
        double cum = weights[0];
        int i = 0;
        for (int j = 0; j < n; j++) {
            double target = u + (double) j / n;
            while (cum < target && i < weights.length - 1) {
                i++;
                cum += weights[i];
            }
            pick[j] = i;
        }
        Map<String, String> meta = new LinkedHashMap<>(info);
        meta.put("resampled", n + " runs, seed " + seed);
        return new Posterior(new double[n], select(named, pick), select(byAddress, pick),
                result == null ? null : select(result, pick), logEvidence, null, withEngine(meta, "resampled"), null);
    }

    /** The info key under which {@link #reweighted} records how the weights were changed. */
    public static final String REWEIGHTED = "reweighted";

    /**
     * The same runs with other log weights (Pareto-smoothed ones, say): the values shared, the log
     * evidence kept (the raw weights' estimate), {@code method} recorded in the info under
     * {@link #REWEIGHTED} and {@code notes} added to it. Only for independent weighted runs; such a
     * posterior is not pooled with others ({@link #combine}: pool the raw runs, then reweight).
     */
    public Posterior reweighted(double[] newLogWeights, String method, Map<String, String> notes) {
        if (!isWeighted()) {
            throw new IllegalStateException("reweighted: these runs carry no importance weights (engine "
                    + info.getOrDefault("engine", "?") + ")");
        }
        if (newLogWeights.length != logWeights.length) {
            throw new IllegalArgumentException("reweighted: " + newLogWeights.length + " log weights for " + logWeights.length
                    + " runs");
        }
        for (double lw : newLogWeights) {
            if (lw != lw || lw == Double.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("reweighted: a log weight is " + lw);
            }
        }
        Map<String, String> meta = new LinkedHashMap<>(info);
        meta.put(REWEIGHTED, method);
        meta.putAll(notes);
        return new Posterior(newLogWeights.clone(), named, byAddress, result, logEvidence, null, meta, traces, diagnostics);
    }

    private static Map<String, String> withEngine(Map<String, String> meta, String note) {
        meta.put("engine", meta.getOrDefault("engine", "") + (meta.containsKey("engine") ? "+" : "") + note);
        return meta;
    }

    private static Map<String, ColumnData> select(Map<String, ColumnData> columns, int[] pick) {
        Map<String, ColumnData> out = new LinkedHashMap<>();
        columns.forEach((k, c) -> out.put(k, select(c, pick)));
        return out;
    }

    private static ColumnData select(ColumnData c, int[] pick) {
        ColumnData out = new ColumnData(pick.length);
        for (int j = 0; j < pick.length; j++) {
            Object v = c.get(pick[j]);
            if (v != null) {
                out.set(j, v, c.firstSeen());
            }
        }
        return out;
    }

    /**
     * Pools posteriors of one model into one: their runs side by side. For weighted runs the log
     * evidence is that of all the runs together; Metropolis-Hastings samples keep their chains.
     */
    public static Posterior combine(List<Posterior> parts) {
        return PosteriorCombiner.combine(parts);
    }

    /** Saves this posterior (not its traces) to {@code file} in Probe's posterior format; see docs/posterior-format.md. */
    public void save(Path file) throws IOException {
        PosteriorFile.write(this, file);
    }

    /** Loads a posterior saved by {@link #save}. */
    public static Posterior load(Path file) throws IOException {
        return PosteriorFile.read(file);
    }

    // Package-private access for the file format and combination.
    double[] rawLogWeights() {
        return logWeights;
    }

    Map<String, ColumnData> namedColumns() {
        return named;
    }

    Map<String, ColumnData> addressColumns() {
        return byAddress;
    }

    ColumnData resultColumn() {
        return result;
    }

    double rawLogEvidence() {
        return logEvidence;
    }

    int[] rawChains() {
        return chains;
    }
}
