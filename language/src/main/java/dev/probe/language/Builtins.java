package dev.probe.language;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.DistributionKind;


/** The built-in functions, constants and distribution constructors of the language. */
final class Builtins {

    /** A built-in callable: its name, how many arguments it takes, and what it does. */
    static final class Fn {
        final String name;
        final int minArgs;
        final int maxArgs;
        private final Function<Object[], Object> body;

        Fn(String name, int minArgs, int maxArgs, Function<Object[], Object> body) {
            this.name = name;
            this.minArgs = minArgs;
            this.maxArgs = maxArgs;
            this.body = body;
        }

        Object apply(Object[] args) {
            return body.apply(args);
        }

        String arity() {
            if (minArgs == maxArgs) {
                return minArgs + " argument" + (minArgs == 1 ? "" : "s");
            }
            return maxArgs == Integer.MAX_VALUE ? "at least " + minArgs + " arguments"
                    : minArgs + " to " + maxArgs + " arguments";
        }
    }

    static final Map<String, Object> CONSTANTS = Map.of("PI", Math.PI, "E", Math.E, "INF", Double.POSITIVE_INFINITY);

    private static final Map<String, Fn> FUNCTIONS = new HashMap<>();

    private Builtins() {
    }

    static Fn find(String name) {
        return FUNCTIONS.get(name);
    }

    private static void add(String name, int min, int max, Function<Object[], Object> body) {
        FUNCTIONS.put(name, new Fn(name, min, max, body));
    }

    private static void math(String name, DoubleUnaryOperator f) {
        add(name, 1, 1, a -> f.applyAsDouble(Ops.num(a[0], name)));
    }

    static double number(Object v, String what) {
        if (v instanceof Long || v instanceof Double) {
            return ((Number) v).doubleValue();
        }
        throw new IllegalArgumentException(what + " must be a number, got " + Ops.describe(v));
    }

    static long integer(Object v, String what) {
        if (v instanceof Long) {
            return (Long) v;
        }
        throw new IllegalArgumentException(what + " must be an integer, got " + Ops.describe(v));
    }

    static PArray array(Object v, String what) {
        if (v instanceof PArray) {
            return (PArray) v;
        }
        throw new IllegalArgumentException(what + " must be an array, got " + Ops.describe(v));
    }

    private static boolean isArray(Object v) {
        return v instanceof PArray;
    }

    /** A parameter that may be a number or an array of numbers (for the array forms). */
    private static double[] numbers(Object v, String what) {
        return isArray(v) ? Ops.doubles(v, what) : new double[] {number(v, what)};
    }

    static {
        math("exp", Math::exp);
        math("log", Math::log);
        math("log1p", Math::log1p);
        math("expm1", Math::expm1);
        math("sqrt", Math::sqrt);
        math("sin", Math::sin);
        math("cos", Math::cos);
        math("tan", Math::tan);
        math("asin", Math::asin);
        math("acos", Math::acos);
        math("atan", Math::atan);
        math("sigmoid", x -> 1 / (1 + Math.exp(-x)));
        add("atan2", 2, 2, a -> Math.atan2(number(a[0], "atan2's y"), number(a[1], "atan2's x")));
        add("pow", 2, 2, a -> Ops.binary("**", a[0], a[1]));
        add("abs", 1, 1, a -> a[0] instanceof Long ? (Object) Math.abs((Long) a[0]) : (Object) Math.abs(number(a[0], "abs's argument")));
        add("floor", 1, 1, a -> rounded(Math.floor(number(a[0], "floor's argument")), "floor"));
        add("ceil", 1, 1, a -> rounded(Math.ceil(number(a[0], "ceil's argument")), "ceil"));
        add("round", 1, 1, a -> rounded(Math.rint(number(a[0], "round's argument")), "round"));
        add("min", 1, Integer.MAX_VALUE, a -> extreme(a, "min", -1));
        add("max", 1, Integer.MAX_VALUE, a -> extreme(a, "max", 1));
        add("clamp", 3, 3, a -> {
            Object lo = a[1];
            Object hi = a[2];
            if (Ops.equal(Ops.binary("<", a[0], lo), true)) {
                return lo;
            }
            return Ops.equal(Ops.binary(">", a[0], hi), true) ? hi : a[0];
        });
        add("len", 1, 1, a -> {
            if (a[0] instanceof String) {
                return (long) ((String) a[0]).length();
            }
            return (long) array(a[0], "len's argument").size();
        });
        add("sum", 1, 1, a -> sum(array(a[0], "sum's argument")));
        add("mean", 1, 1, a -> {
            PArray x = array(a[0], "mean's argument");
            if (x.isEmpty()) {
                throw new IllegalArgumentException("mean of an empty array");
            }
            return Ops.num(sum(x), "mean") / x.size();
        });
        add("zeros", 1, 1, a -> fill(a[0], 0.0));
        add("ones", 1, 1, a -> fill(a[0], 1.0));
        add("fill", 2, 2, a -> fill(a[0], a[1]));
        add("append", 2, 2, a -> {
            PArray out = new PArray(array(a[0], "append's first argument"));
            out.add(a[1]);
            return out;
        });
        add("int", 1, 1, a -> {
            if (a[0] instanceof Long) {
                return a[0];
            }
            if (a[0] instanceof Boolean) {
                return (Boolean) a[0] ? 1L : 0L;
            }
            if (a[0] instanceof String) {
                try {
                    return Long.parseLong(((String) a[0]).trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("int: \"" + a[0] + "\" is not an integer");
                }
            }
            return rounded((double) (long) number(a[0], "int's argument"), "int");
        });
        add("float", 1, 1, a -> {
            if (a[0] instanceof String) {
                try {
                    return Double.parseDouble(((String) a[0]).trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("float: \"" + a[0] + "\" is not a number");
                }
            }
            if (a[0] instanceof Boolean) {
                return (Boolean) a[0] ? 1.0 : 0.0;
            }
            return number(a[0], "float's argument");
        });
        add("str", 1, 1, a -> Ops.text(a[0]));
        add("div", 2, 2, a -> {
            long x = integer(a[0], "div's first argument");
            long y = integer(a[1], "div's second argument");
            if (y == 0) {
                throw new IllegalArgumentException("integer division by zero");
            }
            return Math.floorDiv(x, y);
        });

        for (DistributionKind kind : DistributionKind.values()) {
            int n = kind.parameters().size();
            add(kind.label(), n, n, a -> kind.create(distributionArguments(kind, a)));
        }
    }

    /** A script's arguments to a distribution constructor as the registry's canonical ones, by each parameter's type. */
    private static Object[] distributionArguments(DistributionKind kind, Object[] a) {
        boolean broadcast = false;
        for (int i = 0; i < a.length; i++) {
            broadcast |= kind.broadcasts() && kind.parameters().get(i).type() == DistributionKind.ParameterType.NUMBER && isArray(a[i]);
        }
        Object[] out = new Object[a.length];
        for (int i = 0; i < a.length; i++) {
            String what = kind.label() + "'s " + kind.parameters().get(i).name();
            out[i] = switch (kind.parameters().get(i).type()) {
                case NUMBER -> broadcast ? numbers(a[i], what) : (Object) number(a[i], what);
                case INTEGER -> integer(a[i], what);
                case NUMBERS -> Ops.doubles(a[i], what);
                case MATRIX -> {
                    PArray rows = array(a[i], what);
                    double[][] m = new double[rows.size()][];
                    for (int r = 0; r < m.length; r++) {
                        m[r] = Ops.doubles(rows.get(r), what + "[" + r + "]");
                    }
                    yield m;
                }
                case DISTRIBUTIONS -> {
                    PArray parts = array(a[i], what);
                    List<Distribution<?>> ds = new ArrayList<>();
                    for (int j = 0; j < parts.size(); j++) {
                        if (!(parts.get(j) instanceof Distribution)) {
                            throw new IllegalArgumentException(what + "[" + j + "] must be a distribution, got " + Ops.describe(parts.get(j)));
                        }
                        ds.add((Distribution<?>) parts.get(j));
                    }
                    yield ds;
                }
            };
        }
        return out;
    }

    /** Whether {@code name} is a distribution constructor. */
    static boolean isDistribution(String name) {
        return Character.isUpperCase(name.charAt(0)) && FUNCTIONS.containsKey(name);
    }

    private static Object rounded(double x, String name) {
        if (Double.isNaN(x) || Math.abs(x) > 9.2e18) {
            throw new IllegalArgumentException(name + ": " + x + " has no integer value");
        }
        return (long) x;
    }

    private static Object sum(PArray x) {
        Object total = 0L;
        for (Object v : x) {
            total = Ops.binary("+", total, v instanceof Boolean ? ((Boolean) v ? 1L : 0L) : v);
        }
        return total;
    }

    private static Object extreme(Object[] a, String name, int sign) {
        List<Object> items = new ArrayList<>();
        if (a.length == 1) {
            items.addAll(array(a[0], name + " of one argument"));
        } else {
            items.addAll(List.of(a));
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(name + " of an empty array");
        }
        Object best = items.get(0);
        for (Object v : items) {
            Ops.num(v, name);
            if (Ops.equal(Ops.binary(sign > 0 ? ">" : "<", v, best), true)) {
                best = v;
            }
        }
        return best;
    }

    private static PArray fill(Object n, Object value) {
        long k = integer(n, "the length");
        if (k < 0 || k > 10_000_000) {
            throw new IllegalArgumentException("an array's length must be from 0 to 10000000, got " + k);
        }
        PArray out = new PArray((int) k);
        for (long i = 0; i < k; i++) {
            out.add(value);
        }
        return out;
    }
}
