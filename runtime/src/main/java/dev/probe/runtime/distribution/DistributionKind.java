package dev.probe.runtime.distribution;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * Every distribution kind of the runtime, declared once: its name, its parameters in order, its
 * support, its value type and its factory. The script language's constructors, the bridge's
 * conversion, the proposal networks' heads, the language reference's table and the C++ client
 * derive from this list or are checked against it by tests, so a kind cannot be added in one
 * place and missed in another. {@link #main} prints it, one JSON object a line, for clients
 * written in other languages to check their own lists against.
 *
 * <p>A front end turns its own values into the canonical arguments of {@link #create} by each
 * parameter's {@link ParameterType}: {@link Double} (or any {@link Number}) for a number,
 * {@link Long} for an integer, {@code double[]} for numbers, {@code double[][]} (rows) for a
 * matrix and a {@code List} of distributions for components. A kind that {@link #broadcasts()}
 * also takes {@code double[]} for its number parameters and then gives an array of independent
 * draws; scalars broadcast.
 */
public enum DistributionKind {

    NORMAL("Normal", "real", Support.Kind.REAL, ValueType.REAL, true,
            List.of(number("mean"), number("stddev")), new Object[] {0.5, 2.0},
            a -> a.broadcast() ? NormalArray.of(a.numbers(0), a.numbers(1)) : Normal.of(a.number(0), a.number(1))),
    UNIFORM("Uniform", "real in [low, high)", Support.Kind.REAL, ValueType.REAL, true,
            List.of(number("low"), number("high")), new Object[] {-1.0, 3.0},
            a -> a.broadcast() ? UniformArray.of(a.numbers(0), a.numbers(1)) : Uniform.of(a.number(0), a.number(1))),
    TRUNCATED_NORMAL("TruncatedNormal", "real in [low, high]", Support.Kind.REAL, ValueType.REAL, false,
            List.of(number("mean"), number("stddev"), number("low"), number("high")), new Object[] {0.0, 1.0, -1.0, 2.0},
            a -> TruncatedNormal.of(a.number(0), a.number(1), a.number(2), a.number(3))),
    LOG_NORMAL("LogNormal", "positive real", Support.Kind.REAL, ValueType.REAL, false,
            List.of(number("mu"), number("sigma")), new Object[] {0.0, 0.5},
            a -> LogNormal.of(a.number(0), a.number(1))),
    EXPONENTIAL("Exponential", "non-negative real", Support.Kind.REAL, ValueType.REAL, false,
            List.of(number("rate")), new Object[] {2.0},
            a -> Exponential.of(a.number(0))),
    GAMMA("Gamma", "positive real", Support.Kind.REAL, ValueType.REAL, false,
            List.of(number("shape"), number("rate")), new Object[] {2.0, 3.0},
            a -> Gamma.of(a.number(0), a.number(1))),
    BETA("Beta", "real in (0, 1)", Support.Kind.REAL, ValueType.REAL, false,
            List.of(number("alpha"), number("beta")), new Object[] {2.0, 5.0},
            a -> Beta.of(a.number(0), a.number(1))),
    BERNOULLI("Bernoulli", "boolean (`true` with probability p; observed values may be given as `true/false` or `1/0`)",
            Support.Kind.BOOLEAN, ValueType.BOOLEAN, true,
            List.of(number("p")), new Object[] {0.3},
            a -> a.broadcast() ? BernoulliArray.of(a.numbers(0)) : Bernoulli.of(a.number(0))),
    BINOMIAL("Binomial", "integer 0..n", Support.Kind.INTEGER, ValueType.INTEGER, false,
            List.of(integer("n"), number("p")), new Object[] {10L, 0.4},
            a -> Binomial.of(a.integer(0), a.number(1))),
    POISSON("Poisson", "non-negative integer", Support.Kind.INTEGER, ValueType.INTEGER, true,
            List.of(number("rate")), new Object[] {3.5},
            a -> a.broadcast() ? PoissonArray.of(a.numbers(0)) : Poisson.of(a.number(0))),
    CATEGORICAL("Categorical", "integer 0..k-1; weights are non-negative and normalised", Support.Kind.INTEGER,
            ValueType.INTEGER, false,
            List.of(numbers("weights")), new Object[] {new double[] {1, 2, 3}},
            a -> Categorical.of(a.numbers(0))),
    DIRICHLET("Dirichlet", "array on the simplex", Support.Kind.SIMPLEX, ValueType.REAL_ARRAY, false,
            List.of(numbers("alphas")), new Object[] {new double[] {1, 2, 3}},
            a -> Dirichlet.of(a.numbers(0))),
    MULTIVARIATE_NORMAL("MultivariateNormal", "array", Support.Kind.REAL, ValueType.REAL_ARRAY, false,
            List.of(numbers("mean"), new Parameter("cov", ParameterType.MATRIX)),
            new Object[] {new double[] {0, 1}, new double[][] {{1, 0.5}, {0.5, 2}}},
            a -> MultivariateNormal.of(a.numbers(0), a.matrix(1))),
    MIXTURE("Mixture", "a value of the components' type", null, null, false,
            List.of(numbers("weights"), new Parameter("components", ParameterType.DISTRIBUTIONS)),
            new Object[] {new double[] {0.3, 0.7}, List.of(Normal.of(-2, 1), Normal.of(2, 1))},
            a -> Mixture.of(a.numbers(0), a.distributions(1)));

    /** How a front end must give a parameter. */
    public enum ParameterType {
        /** A real number ({@code double[]} too where the kind {@link #broadcasts()}). */
        NUMBER,
        /** An integer. */
        INTEGER,
        /** An array of real numbers. */
        NUMBERS,
        /** A matrix of real numbers, as rows. */
        MATRIX,
        /** A list of distributions. */
        DISTRIBUTIONS
    }

    /**
     * A parameter of a kind.
     *
     * @param name its name, as the language reference writes it
     * @param type how it is given
     */
    public record Parameter(String name, ParameterType type) {
    }

    private final String label;
    private final String supportText;
    private final Support.Kind supportKind;
    private final ValueType valueType;
    private final boolean broadcasts;
    private final List<Parameter> parameters;
    private final Object[] example;
    private final Function<Arguments, Distribution<?>> factory;

    DistributionKind(String label, String supportText, Support.Kind supportKind, ValueType valueType, boolean broadcasts,
            List<Parameter> parameters, Object[] example, Function<Arguments, Distribution<?>> factory) {
        this.label = label;
        this.supportText = supportText;
        this.supportKind = supportKind;
        this.valueType = valueType;
        this.broadcasts = broadcasts;
        this.parameters = parameters;
        this.example = example;
        this.factory = factory;
    }

    private static Parameter number(String name) {
        return new Parameter(name, ParameterType.NUMBER);
    }

    private static Parameter integer(String name) {
        return new Parameter(name, ParameterType.INTEGER);
    }

    private static Parameter numbers(String name) {
        return new Parameter(name, ParameterType.NUMBERS);
    }

    /** The kind's name, as {@link Distribution#kind()} returns it and every front end spells it. */
    public String label() {
        return label;
    }

    /** The parameters, in the order every front end gives them. */
    public List<Parameter> parameters() {
        return parameters;
    }

    /** The support and value type in words, as the language reference's table gives them. */
    public String supportText() {
        return supportText;
    }

    /** The kind of the support of every distribution of this kind; empty for {@code Mixture}, whose components decide. */
    public Optional<Support.Kind> supportKind() {
        return Optional.ofNullable(supportKind);
    }

    /** The value type of the scalar form; empty for {@code Mixture}, whose components decide. */
    public Optional<ValueType> valueType() {
        return Optional.ofNullable(valueType);
    }

    /** Whether the number parameters also take arrays, giving an array of independent draws. */
    public boolean broadcasts() {
        return broadcasts;
    }

    /** Canonical arguments for which this kind is defined: for documentation and for tests of every front end. */
    public Object[] exampleArguments() {
        Object[] copy = example.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] instanceof double[]) {
                copy[i] = ((double[]) copy[i]).clone();
            } else if (copy[i] instanceof double[][]) {
                copy[i] = Arrays.stream((double[][]) copy[i]).map(double[]::clone).toArray(double[][]::new);
            }
        }
        return copy;
    }

    /** The constructor as the language reference writes it, e.g. {@code Normal(mean, stddev)}. */
    public String signature() {
        StringJoiner names = new StringJoiner(", ", label + "(", ")");
        for (Parameter p : parameters) {
            names.add(p.type() == ParameterType.DISTRIBUTIONS ? "[d1, d2, ...]" : p.name());
        }
        return names.toString();
    }

    /**
     * Builds a distribution of this kind from canonical arguments (see the class comment).
     *
     * @throws IllegalArgumentException for a wrong number of arguments, an argument of the wrong
     *                                  type or an invalid parameter, naming the kind and the parameter
     */
    public Distribution<?> create(Object... arguments) {
        if (arguments.length != parameters.size()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s takes %d parameter%s (%s), got %d",
                    label, parameters.size(), parameters.size() == 1 ? "" : "s", names(), arguments.length));
        }
        return factory.apply(new Arguments(arguments));
    }

    /** The kind named {@code label}, e.g. {@code "Normal"}; empty where the runtime has none. */
    public static Optional<DistributionKind> named(String label) {
        return Optional.ofNullable(BY_LABEL.get(label));
    }

    /** The kinds by label: every sample of a script and every proposal looks its kind up. */
    private static final Map<String, DistributionKind> BY_LABEL = byLabel();

    private static Map<String, DistributionKind> byLabel() {
        Map<String, DistributionKind> m = new HashMap<>();
        for (DistributionKind k : values()) {
            m.put(k.label, k);
        }
        return Map.copyOf(m);
    }

    /** The kinds' names in declaration order, for messages: "Normal, Uniform, ... and Mixture". */
    public static String labels() {
        DistributionKind[] all = values();
        StringJoiner j = new StringJoiner(", ");
        for (int i = 0; i < all.length - 1; i++) {
            j.add(all[i].label);
        }
        return j + " and " + all[all.length - 1].label;
    }

    /** This kind as one line of JSON: name, parameters (name and type), support, value type, array form. */
    public String toJson() {
        StringJoiner ps = new StringJoiner(", ", "[", "]");
        for (Parameter p : parameters) {
            ps.add("{\"name\": \"" + p.name() + "\", \"type\": \"" + p.type().name().toLowerCase(Locale.ROOT) + "\"}");
        }
        return "{\"name\": \"" + label + "\", \"parameters\": " + ps
                + ", \"support\": " + quoted(supportKind().map(Enum::name))
                + ", \"value\": " + quoted(valueType().map(Enum::name))
                + ", \"broadcasts\": " + broadcasts + "}";
    }

    private static String quoted(Optional<String> s) {
        return s.map(x -> "\"" + x.toLowerCase(Locale.ROOT) + "\"").orElse("null");
    }

    private String names() {
        List<String> n = new ArrayList<>();
        parameters.forEach(p -> n.add(p.name()));
        return String.join(", ", n);
    }

    /**
     * Prints every kind, one JSON object a line, in declaration order: the list a client in
     * another language checks its own against
     * ({@code java -cp runtime/target/classes dev.probe.runtime.distribution.DistributionKind}).
     */
    public static void main(String[] args) {
        for (DistributionKind k : values()) {
            System.out.println(k.toJson());
        }
    }

    /** The canonical arguments of one {@link #create} call, read by the factory with the kind's names in messages. */
    private final class Arguments {

        private final Object[] values;
        private final boolean broadcast;

        Arguments(Object[] values) {
            this.values = values;
            boolean anyArray = false;
            for (int i = 0; i < values.length; i++) {
                anyArray |= parameters.get(i).type() == ParameterType.NUMBER && values[i] instanceof double[];
            }
            this.broadcast = broadcasts && anyArray;
        }

        boolean broadcast() {
            return broadcast;
        }

        double number(int i) {
            if (values[i] instanceof Number) {
                return ((Number) values[i]).doubleValue();
            }
            throw wrongType(i, "a number");
        }

        long integer(int i) {
            Object v = values[i];
            if (v instanceof Long || v instanceof Integer) {
                return ((Number) v).longValue();
            }
            throw wrongType(i, "an integer");
        }

        double[] numbers(int i) {
            if (values[i] instanceof double[]) {
                return (double[]) values[i];
            }
            if (broadcast && values[i] instanceof Number) {
                return new double[] {((Number) values[i]).doubleValue()};
            }
            throw wrongType(i, "an array of numbers");
        }

        double[][] matrix(int i) {
            if (values[i] instanceof double[][]) {
                return (double[][]) values[i];
            }
            throw wrongType(i, "a matrix of numbers");
        }

        @SuppressWarnings("unchecked")
        <T> List<Distribution<T>> distributions(int i) {
            if (!(values[i] instanceof List)) {
                throw wrongType(i, "a list of distributions");
            }
            List<?> list = (List<?>) values[i];
            for (int j = 0; j < list.size(); j++) {
                if (!(list.get(j) instanceof Distribution)) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: %s[%d] must be a distribution, got %s",
                            label, parameters.get(i).name(), j, Values.format(list.get(j))));
                }
            }
            return (List<Distribution<T>>) list;
        }

        private IllegalArgumentException wrongType(int i, String expected) {
            return new IllegalArgumentException(String.format(Locale.ROOT, "%s: %s must be %s, got %s",
                    label, parameters.get(i).name(), expected, Values.format(values[i])));
        }
    }
}
