package dev.probe.language;

import java.util.List;

import dev.probe.runtime.distribution.Distribution;

/** The language's operators and its conversions of values to and from the runtime's. */
final class Ops {

    /** The value of a call that returns nothing. */
    enum Nothing {
        NOTHING;

        @Override
        public String toString() {
            return "nothing";
        }
    }

    static final Object NOTHING = Nothing.NOTHING;

    private Ops() {
    }

    /** A value as error messages name it. */
    static String describe(Object v) {
        if (v instanceof Long) {
            return "the integer " + v;
        }
        if (v instanceof Double) {
            return "the float " + v;
        }
        if (v instanceof Boolean) {
            return "the boolean " + v;
        }
        if (v instanceof String) {
            return "the string \"" + v + "\"";
        }
        if (v instanceof PArray) {
            return "an array of length " + ((PArray) v).size();
        }
        if (v instanceof Distribution) {
            return "the distribution " + v;
        }
        return v == null || v == NOTHING ? "nothing (a call that returns no value)" : String.valueOf(v);
    }

    private static final String[] OPERATORS = {"+", "-", "*", "/", "%", "**", "<", "<=", ">", ">=", "==", "!="};

    /** The code of a binary operator, for {@link #binary(int, Object, Object)}. */
    static int code(String op) {
        for (int i = 0; i < OPERATORS.length; i++) {
            if (OPERATORS[i].equals(op)) {
                return i;
            }
        }
        throw new IllegalArgumentException("unknown operator " + op);
    }

    static Object binary(String op, Object a, Object b) {
        return binary(code(op), a, b);
    }

    /** A binary operator by code; the integer and float cases come first, as they are the common ones. */
    static Object binary(int code, Object a, Object b) {
        if (a instanceof Long && b instanceof Long) {
            Object r = integers(code, (Long) a, (Long) b);
            if (r != null) {
                return r;
            }
        } else if (a instanceof Double && b instanceof Double) {
            double x = (Double) a;
            double y = (Double) b;
            if (code <= DIVIDE) {
                return arithmetic(code, x, y);
            }
            if (code == LESS) {
                return x < y;
            }
            if (code == GREATER) {
                return x > y;
            }
        }
        return slow(OPERATORS[code], a, b);
    }

    /** The codes of + - * / are 0 to {@code DIVIDE}, in that order; those of comparisons follow {@code **}. */
    static final int DIVIDE = 3;
    private static final int LESS = 6;
    private static final int GREATER = 8;

    /** + - * / (codes 0 to {@link #DIVIDE}) on floats: the one place float arithmetic is written. */
    static double arithmetic(int code, double x, double y) {
        switch (code) {
            case 0:
                return x + y;
            case 1:
                return x - y;
            case 2:
                return x * y;
            default:
                return x / y;
        }
    }

    /**
     * The operators whose integer result is plain (+ - * with overflow checked, and comparisons)
     * on two integers; null for the others ({@code /}, {@code %}, {@code **}), which go the slow way.
     */
    static Object integers(int code, long x, long y) {
        switch (code) {
            case 0:
                return Math.addExact(x, y);
            case 1:
                return Math.subtractExact(x, y);
            case 2:
                return Math.multiplyExact(x, y);
            case 6:
                return x < y;
            case 7:
                return x <= y;
            case 8:
                return x > y;
            case 9:
                return x >= y;
            case 10:
                return x == y;
            case 11:
                return x != y;
            default:
                return null;
        }
    }

    private static Object slow(String op, Object a, Object b) {
        switch (op) {
            case "+":
                if (a instanceof String || b instanceof String) {
                    return text(a) + text(b);
                }
                if (a instanceof Long && b instanceof Long) {
                    return Math.addExact((Long) a, (Long) b);
                }
                return num(a, op) + num(b, op);
            case "-":
                if (a instanceof Long && b instanceof Long) {
                    return Math.subtractExact((Long) a, (Long) b);
                }
                return num(a, op) - num(b, op);
            case "*":
                if (a instanceof Long && b instanceof Long) {
                    return Math.multiplyExact((Long) a, (Long) b);
                }
                return num(a, op) * num(b, op);
            case "/":
                return num(a, op) / num(b, op);
            case "%":
                if (a instanceof Long && b instanceof Long) {
                    if ((Long) b == 0) {
                        throw new IllegalArgumentException("remainder by zero");
                    }
                    return (Long) a % (Long) b;
                }
                return num(a, op) % num(b, op);
            case "**":
                if (a instanceof Long && b instanceof Long && (Long) b >= 0) {
                    return power((Long) a, (Long) b);
                }
                return Math.pow(num(a, op), num(b, op));
            case "<":
                return compare(a, b, op) < 0;
            case "<=":
                return compare(a, b, op) <= 0;
            case ">":
                return compare(a, b, op) > 0;
            case ">=":
                return compare(a, b, op) >= 0;
            case "==":
                return equal(a, b);
            case "!=":
                return !equal(a, b);
            default:
                throw new IllegalStateException(op);
        }
    }

    private static long power(long base, long exponent) {
        long result = 1;
        for (long i = 0; i < exponent; i++) {
            result = Math.multiplyExact(result, base);
            if (result == 0 || result == 1) {
                break;
            }
        }
        return result;
    }

    static double num(Object v, String op) {
        if (v instanceof Double) {
            return (Double) v;
        }
        if (v instanceof Long) {
            return (Long) v;
        }
        throw new IllegalArgumentException("'" + op + "' needs numbers, got " + describe(v));
    }

    private static int compare(Object a, Object b, String op) {
        if (a instanceof String && b instanceof String) {
            return ((String) a).compareTo((String) b);
        }
        if (a instanceof Long && b instanceof Long) {
            return Long.compare((Long) a, (Long) b);
        }
        return Double.compare(num(a, op), num(b, op));
    }

    static boolean equal(Object a, Object b) {
        if ((a instanceof Long || a instanceof Double) && (b instanceof Long || b instanceof Double)) {
            if (a instanceof Long && b instanceof Long) {
                return ((Long) a).longValue() == (Long) b;
            }
            return num(a, "==") == num(b, "==");
        }
        if (a instanceof PArray && b instanceof PArray) {
            PArray x = (PArray) a;
            PArray y = (PArray) b;
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!equal(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** How {@code str} and string concatenation write a value. */
    static String text(Object v) {
        if (v instanceof PArray) {
            StringBuilder sb = new StringBuilder("[");
            PArray a = (PArray) v;
            for (int i = 0; i < a.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(text(a.get(i)));
            }
            return sb.append(']').toString();
        }
        return String.valueOf(v);
    }

    /** A runtime value (a sample, an observation) as a script value. */
    static Object toScript(Object v) {
        if (v == null) {
            return NOTHING;
        }
        if (v instanceof double[]) {
            double[] a = (double[]) v;
            PArray out = new PArray(a.length);
            for (double x : a) {
                out.add(x);
            }
            return out;
        }
        if (v instanceof long[]) {
            long[] a = (long[]) v;
            PArray out = new PArray(a.length);
            for (long x : a) {
                out.add(x);
            }
            return out;
        }
        if (v instanceof boolean[]) {
            boolean[] a = (boolean[]) v;
            PArray out = new PArray(a.length);
            for (boolean x : a) {
                out.add(x);
            }
            return out;
        }
        if (v instanceof List) {
            PArray out = new PArray(((List<?>) v).size());
            for (Object x : (List<?>) v) {
                out.add(toScript(x));
            }
            return out;
        }
        if (v instanceof Integer) {
            return ((Integer) v).longValue();
        }
        if (v instanceof Float) {
            return ((Float) v).doubleValue();
        }
        return v;
    }

    /**
     * A script value as the runtime records it: arrays of integers, numbers or booleans become
     * {@code long[]}, {@code double[]} or {@code boolean[]}; other arrays become lists.
     */
    static Object toRuntime(Object v) {
        if (v == NOTHING) {
            return null;
        }
        if (!(v instanceof PArray)) {
            return v;
        }
        PArray a = (PArray) v;
        boolean allLong = true;
        boolean allNumber = true;
        boolean allBoolean = true;
        for (Object x : a) {
            allLong &= x instanceof Long;
            allNumber &= x instanceof Long || x instanceof Double;
            allBoolean &= x instanceof Boolean;
        }
        if (a.isEmpty()) {
            return new double[0];
        }
        if (allLong) {
            long[] out = new long[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Long) a.get(i);
            }
            return out;
        }
        if (allNumber) {
            double[] out = new double[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = ((Number) a.get(i)).doubleValue();
            }
            return out;
        }
        if (allBoolean) {
            boolean[] out = new boolean[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Boolean) a.get(i);
            }
            return out;
        }
        List<Object> out = new java.util.ArrayList<>(a.size());
        for (Object x : a) {
            out.add(toRuntime(x));
        }
        return out;
    }

    /** A script array of numbers as a double[], for distribution parameters. */
    static double[] doubles(Object v, String what) {
        if (!(v instanceof PArray)) {
            throw new IllegalArgumentException(what + " must be an array of numbers, got " + describe(v));
        }
        PArray a = (PArray) v;
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            Object x = a.get(i);
            if (!(x instanceof Long || x instanceof Double)) {
                throw new IllegalArgumentException(what + "[" + i + "] must be a number, got " + describe(x));
            }
            out[i] = ((Number) x).doubleValue();
        }
        return out;
    }

}
