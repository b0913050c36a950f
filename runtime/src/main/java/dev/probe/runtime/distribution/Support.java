package dev.probe.runtime.distribution;

import java.util.Locale;

/**
 * Where a distribution's values (or each component of an array value) lie: a kind and bounds.
 * Proposal networks read it to choose a head with the right support.
 */
public final class Support {

    /** The kind of set. */
    public enum Kind {
        /** Real numbers between {@link #lower()} and {@link #upper()}. */
        REAL,
        /** Integers between {@link #lower()} and {@link #upper()}. */
        INTEGER,
        /** {@code false} and {@code true}. */
        BOOLEAN,
        /** Non-negative real vectors summing to one. */
        SIMPLEX
    }

    private static final Support REAL_LINE = new Support(Kind.REAL, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, false, false);
    private static final Support BOOLEANS = new Support(Kind.BOOLEAN, 0, 1, true, true);
    private static final Support SIMPLEX = new Support(Kind.SIMPLEX, 0, 1, true, true);

    private final Kind kind;
    private final double lower;
    private final double upper;
    private final boolean lowerClosed;
    private final boolean upperClosed;

    private Support(Kind kind, double lower, double upper, boolean lowerClosed, boolean upperClosed) {
        this.kind = kind;
        this.lower = lower;
        this.upper = upper;
        this.lowerClosed = lowerClosed;
        this.upperClosed = upperClosed;
    }

    /** The whole real line. */
    public static Support realLine() {
        return REAL_LINE;
    }

    /** A real interval; infinite bounds are open whatever the flag says. */
    public static Support interval(double lower, boolean lowerClosed, double upper, boolean upperClosed) {
        return new Support(Kind.REAL, lower, upper, lowerClosed && Double.isFinite(lower), upperClosed && Double.isFinite(upper));
    }

    /** The integers from {@code lower} to {@code upper} inclusive ({@code upper} may be infinite). */
    public static Support integers(double lower, double upper) {
        return new Support(Kind.INTEGER, lower, upper, true, Double.isFinite(upper));
    }

    /** {@code false} and {@code true}. */
    public static Support booleans() {
        return BOOLEANS;
    }

    /** The probability simplex. */
    public static Support simplex() {
        return SIMPLEX;
    }

    public Kind kind() {
        return kind;
    }

    public double lower() {
        return lower;
    }

    public double upper() {
        return upper;
    }

    public boolean lowerClosed() {
        return lowerClosed;
    }

    public boolean upperClosed() {
        return upperClosed;
    }

    /** Whether a real number lies in this support (for a simplex: whether it can be a component). */
    public boolean contains(double x) {
        if (Double.isNaN(x)) {
            return false;
        }
        if (kind == Kind.INTEGER && x != Math.rint(x)) {
            return false;
        }
        boolean aboveLower = lowerClosed ? x >= lower : x > lower;
        boolean belowUpper = upperClosed ? x <= upper : x < upper;
        return aboveLower && belowUpper;
    }

    @Override
    public String toString() {
        switch (kind) {
            case BOOLEAN:
                return "{false, true}";
            case SIMPLEX:
                return "simplex";
            case INTEGER:
                return String.format(Locale.ROOT, "{%s, ..., %s}", bound(lower), bound(upper));
            default:
                return (lowerClosed ? "[" : "(") + bound(lower) + ", " + bound(upper) + (upperClosed ? "]" : ")");
        }
    }

    private static String bound(double b) {
        if (b == Double.POSITIVE_INFINITY) {
            return "inf";
        }
        if (b == Double.NEGATIVE_INFINITY) {
            return "-inf";
        }
        return b == Math.rint(b) && Math.abs(b) < 1e15 ? Long.toString((long) b) : Double.toString(b);
    }
}
