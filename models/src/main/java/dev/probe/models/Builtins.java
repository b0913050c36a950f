package dev.probe.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The models shipped with Probe, by name. */
public final class Builtins {

    private static final List<BuiltinModel> ALL = List.of(
            new BuiltinModel("gaussian", "Gaussian with unknown mean: mu ~ Normal(1, sqrt 5), obs0 and obs1 ~ Normal(mu, sqrt 2)",
                    Map.of(), Map.of("obs0", 8.0, "obs1", 9.0), p -> new Gaussian()),
            new BuiltinModel("coin", "Beta-Bernoulli coin: p ~ Beta(2, 2), flip ~ Bernoulli(p) observed `flips` times (default 10)",
                    Map.of("flips", 10L), Map.of("flip", List.of(1, 1, 0, 1, 1, 1, 0, 1, 1, 0)),
                    p -> new Coin(p.positiveInt("flips", 1_000_000))),
            new BuiltinModel("gamma-poisson", "Gamma-Poisson counts: rate ~ Gamma(2, 1), count ~ Poisson(rate) observed `n` times (default 5)",
                    Map.of("n", 5L), Map.of("count", List.of(3, 5, 4, 6, 2)),
                    p -> new GammaPoisson(p.positiveInt("n", 1_000_000))),
            new BuiltinModel("branching", "The branching model of LANGUAGE.md: r ~ Poisson(4), obs ~ Poisson(6 or 1 + fib(3r) + Poisson(4))",
                    Map.of(), Map.of("obs", 6L), p -> new Branching()),
            new BuiltinModel("hmm", "Hidden Markov model: 3 states, normal emissions, state and obs for `steps` steps (default 16)",
                    Map.of("steps", 16L),
                    Map.of("obs", List.of(0.9, 0.8, 0.7, 0.0, -0.025, -5.0, -2.0, -0.1, 0.0, 0.13, 0.45, 6.0, 0.2, 0.3, -1.0, -1.0)),
                    p -> new HiddenMarkov(p.positiveInt("steps", 100_000))),
            new BuiltinModel("mixture", "Mixture of two Gaussians: mu0 ~ Normal(-2, 2), mu1 ~ Normal(2, 2), x observed `n` times (default 6)",
                    Map.of("n", 6L), Map.of("x", List.of(-2.5, -1.8, -2.2, 1.5, 2.4, 3.1)),
                    p -> new GaussianMixture(p.positiveInt("n", 1_000_000))),
            new BuiltinModel("polar", "The Gaussian model with mu drawn by Marsaglia's polar method, a rejection loop (marked"
                    + " unless marked=false)", Map.of("marked", true), Map.of("obs0", 8.0, "obs1", 9.0),
                    p -> new Polar(p.flag("marked"))));

    private Builtins() {
    }

    /** Every built-in model, in the order {@code probe list} prints them. */
    public static List<BuiltinModel> all() {
        return ALL;
    }

    /** The model called {@code name}. */
    public static Optional<BuiltinModel> find(String name) {
        return ALL.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** The names, for messages. */
    public static String names() {
        List<String> names = new ArrayList<>();
        ALL.forEach(m -> names.add(m.name()));
        return names.stream().collect(Collectors.joining(", "));
    }
}
