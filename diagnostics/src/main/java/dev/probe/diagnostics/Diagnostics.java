package dev.probe.diagnostics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.probe.runtime.posterior.Posterior;
import dev.probe.runtime.posterior.Provenance;

/**
 * What a posterior says about its own reliability: for Metropolis-Hastings samples the
 * rank-normalised split R-hat and bulk and tail ESS of every scalar variable; for importance
 * sampling the Pareto k-hat of the weights next to Kish's ESS; and plain-words warnings where a
 * figure crosses its threshold, each saying what to do.
 *
 * @param variables per-variable convergence checks (MCMC only; empty otherwise)
 * @param weights the weight check (weighted runs only; null otherwise)
 * @param warnings what is wrong and what to do, in plain words; empty when all is well
 */
public record Diagnostics(List<VariableCheck> variables, WeightCheck weights, List<String> warnings) {

    /** R-hat above this says the chains have not mixed (Vehtari et al. 2021). */
    public static final double RHAT_LIMIT = 1.01;
    /** An ESS below this is too few for reliable means, quantiles and their error estimates. */
    public static final double ESS_LIMIT = 100;
    /**
     * k-hat above this makes importance-sampling estimates unreliable (Vehtari et al. 2024); with
     * fewer than 2,154 runs the limit is lower, {@link ParetoK#threshold}.
     */
    public static final double KHAT_LIMIT = 0.7;

    public Diagnostics {
        variables = List.copyOf(variables);
        warnings = List.copyOf(warnings);
    }

    /**
     * Convergence of one variable over Metropolis-Hastings chains.
     *
     * @param chains the chains it was computed from (trimmed to equal lengths)
     */
    public record VariableCheck(String name, double rhat, double essBulk, double essTail, int chains) {
    }

    /**
     * The importance weights' check.
     *
     * @param khat Pareto-smoothed importance-sampling shape (NaN when not estimable)
     * @param ess Kish's effective sample size
     * @param runs the number of weighted runs
     */
    public record WeightCheck(double khat, double ess, int runs) {
    }

    /** Whether no warning was raised. */
    public boolean ok() {
        return warnings.isEmpty();
    }

    /** The diagnostics of a posterior. */
    public static Diagnostics of(Posterior p) {
        // Where a trained network proposed (ic, or smc given --network), the advice is about the network.
        boolean ic = proposedByNetwork(p.provenance());
        List<VariableCheck> vars = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        WeightCheck weights = null;
        int[] lengths = p.chainLengths();
        if (lengths != null) {
            // Variables are independent of one another: computed side by side, kept in their order, so the
            // figures are the same at any thread count. Columns that are not numbers have no check; the
            // marginal summaries (the table's business) are not computed here.
            List<String> names = p.names();
            VariableCheck[] checks = new VariableCheck[names.size()];
            if (names.size() == 1) {
                // One variable (the lightest models): no stream and no pool to start for it.
                checks[0] = check(p, names.get(0), lengths);
            } else {
                java.util.stream.IntStream.range(0, names.size()).parallel().forEach(k -> checks[k] = check(p, names.get(k), lengths));
            }
            for (VariableCheck v : checks) {
                if (v != null) {
                    vars.add(v);
                    warnMcmc(v, warnings);
                }
            }
        } else if (p.isWeighted()) {
            // The log weights through a view: a copy of a million would cost more than k-hat itself.
            // A smoothed posterior's tail is the fit's: its k-hat is the raw weights', kept in the info.
            weights = new WeightCheck(rawKhat(p), p.ess(), p.size());
            warnWeights(weights, ic, warnings);
        }
        return new Diagnostics(vars, weights, warnings);
    }

    /** k-hat of the raw weights: kept in a smoothed posterior's info (where it is a number), else fitted. */
    private static double rawKhat(Posterior p) {
        String raw = p.info().get(ParetoSmoothing.KHAT_KEY);
        if (raw != null) {
            try {
                return Double.parseDouble(raw);
            } catch (NumberFormatException e) {
                // A damaged or hand-edited file: the smoothed weights' own k-hat is the best left.
            }
        }
        return ParetoK.khat(p.logWeightsView());
    }

    /**
     * The name the trained network's proposal goes by (proposals' {@code NetworkProposal.NAME}; a
     * test holds them equal), written here so that diagnostics need not bring DJL along.
     */
    static final String NETWORK_PROPOSAL = "network";

    /**
     * Whether a trained network made the proposals: the engine's options, as its provenance
     * records them for a fresh and a loaded posterior alike, name the network proposal.
     */
    static boolean proposedByNetwork(Provenance provenance) {
        for (String option : provenance.options().split(",")) {
            if (option.trim().equals("proposal=" + NETWORK_PROPOSAL)) {
                return true;
            }
        }
        return false;
    }

    /** A variable's convergence figures; null when it is not a number, some draws lack it or chains are too short. */
    private static VariableCheck check(Posterior p, String key, int[] lengths) {
        // A read-only view of the posterior's column: the draws are copied once, trimmed to the shortest
        // chain and split (Convergence.all(column, lengths)).
        java.nio.DoubleBuffer column = p.numbersView(key);
        if (column == null || lengths.length == 0) {
            return null;
        }
        // No chain shorter than 4 (a loop: a stream here would load its classes for one minimum).
        for (int length : lengths) {
            if (length < 4) {
                return null;
            }
        }
        double[] figures = Convergence.all(column, lengths);
        if (figures == null) {
            // A variable that only some steps reach has no chain of its own.
            return null;
        }
        return new VariableCheck(key, figures[0], figures[1], figures[2], lengths.length);
    }

    private static void warnMcmc(VariableCheck v, List<String> warnings) {
        if (v.rhat() > RHAT_LIMIT) {
            warnings.add(String.format(Locale.ROOT, "R-hat of %s is %.3f (above %.2f): the chains disagree, so they have"
                    + " not converged. Run longer chains (--traces, --burn-in) or more of them (--chains), and check that"
                    + " no chain is stuck in one mode.", v.name(), v.rhat(), RHAT_LIMIT));
        }
        double ess = Math.min(v.essBulk(), v.essTail());
        if (ess < ESS_LIMIT) {
            warnings.add(String.format(Locale.ROOT, "%s ESS of %s is %.0f (below %.0f): too few effectively independent"
                    + " draws for reliable means and quantiles. Run longer chains (--traces) or more of them (--chains).",
                    v.essBulk() <= v.essTail() ? "Bulk" : "Tail", v.name(), ess, ESS_LIMIT));
        }
    }

    private static void warnWeights(WeightCheck w, boolean ic, List<String> warnings) {
        // 0.7, or the paper's lower limit 1 - 1/log10(S) for fewer than 2,154 runs.
        double limit = ParetoK.threshold(w.runs());
        if (w.khat() > limit) {
            warnings.add(String.format(Locale.ROOT, "Pareto k-hat of the importance weights is %.2f (above %.2f): a few"
                    + " runs carry almost all the weight and estimates are unreliable however many runs are added. %s",
                    w.khat(), limit, ic
                            ? "Train the network longer (probe compile --traces) or mix in the prior (--prior-mix 0.1)."
                            : "Use a better proposal: --engine ic with a network from probe compile, or --engine rmh."));
        }
        if (w.ess() < ESS_LIMIT) {
            warnings.add(String.format(Locale.ROOT, "The effective sample size is %.0f of %d runs (below %.0f): too few"
                    + " for reliable estimates. Run more (--traces)%s.", w.ess(), w.runs(), ESS_LIMIT,
                    ic ? ", train the network longer, or add --prior-mix" : ", or use --engine ic with a trained network"));
        }
    }
}
