package dev.probe.bridge;

import java.util.ArrayList;
import java.util.List;

import dev.probe.bridge.v1.Tensor;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.DistributionKind;
import dev.probe.runtime.distribution.Values;

/** Conversions between the protocol's messages and the runtime's values and distributions. */
final class Messages {

    private Messages() {
    }

    /** A runtime value as a tensor. */
    static Tensor tensor(Object v) {
        Tensor.Builder t = Tensor.newBuilder();
        if (v instanceof Double || v instanceof Float) {
            return t.setDtype(Tensor.DType.FLOAT64).addF64(((Number) v).doubleValue()).build();
        }
        if (v instanceof Long || v instanceof Integer) {
            return t.setDtype(Tensor.DType.INT64).addI64(((Number) v).longValue()).build();
        }
        if (v instanceof Boolean) {
            return t.setDtype(Tensor.DType.BOOL).addB((Boolean) v).build();
        }
        if (v instanceof double[]) {
            double[] a = (double[]) v;
            t.setDtype(Tensor.DType.FLOAT64).addShape(a.length);
            for (double x : a) {
                t.addF64(x);
            }
            return t.build();
        }
        if (v instanceof long[]) {
            long[] a = (long[]) v;
            t.setDtype(Tensor.DType.INT64).addShape(a.length);
            for (long x : a) {
                t.addI64(x);
            }
            return t.build();
        }
        if (v instanceof boolean[]) {
            boolean[] a = (boolean[]) v;
            t.setDtype(Tensor.DType.BOOL).addShape(a.length);
            for (boolean x : a) {
                t.addB(x);
            }
            return t.build();
        }
        throw new IllegalArgumentException("cannot send " + v + " as a tensor");
    }

    /**
     * A given observation as a tensor: a scalar, a vector, or a matrix whose rows are equally long;
     * null for anything else (the simulator then asks for the value instead).
     */
    static Tensor tensorOrNull(Object given) {
        if (given instanceof Number || given instanceof Boolean) {
            return tensor(given);
        }
        if (!Values.isArray(given)) {
            return null;
        }
        int n = Values.length(given);
        List<Object> flat = new ArrayList<>();
        int inner = -1;
        for (int i = 0; i < n; i++) {
            Object e = Values.element(given, i);
            if (Values.isArray(e)) {
                int m = Values.length(e);
                if ((inner >= 0 && inner != m) || inner == -2) {
                    return null;
                }
                inner = m;
                for (int j = 0; j < m; j++) {
                    flat.add(Values.element(e, j));
                }
            } else {
                if (inner >= 0) {
                    return null;
                }
                inner = -2;
                flat.add(e);
            }
        }
        boolean allLong = true;
        boolean allNumber = true;
        boolean allBoolean = true;
        for (Object x : flat) {
            allLong &= x instanceof Long || x instanceof Integer;
            allNumber &= x instanceof Number;
            allBoolean &= x instanceof Boolean;
        }
        Tensor.Builder t = Tensor.newBuilder();
        t.addShape(n);
        if (inner >= 0) {
            t.addShape(inner);
        }
        if (allLong) {
            t.setDtype(Tensor.DType.INT64);
            flat.forEach(x -> t.addI64(((Number) x).longValue()));
        } else if (allNumber) {
            t.setDtype(Tensor.DType.FLOAT64);
            flat.forEach(x -> t.addF64(((Number) x).doubleValue()));
        } else if (allBoolean) {
            t.setDtype(Tensor.DType.BOOL);
            flat.forEach(x -> t.addB((Boolean) x));
        } else {
            return null;
        }
        return t.build();
    }

    /**
     * A tensor as a runtime value: a scalar (empty shape) as Double, Long or Boolean; a vector as
     * an array. Higher ranks are flattened (the shape is checked against the element count).
     *
     * @throws IllegalArgumentException naming what is malformed
     */
    static Object value(Tensor t) {
        long count = 1;
        for (long d : t.getShapeList()) {
            if (d < 0) {
                throw new IllegalArgumentException("a tensor has a negative dimension " + d);
            }
            // Checked before multiplying: a product that overflows must not pass for a small one.
            if (d != 0 && count > Integer.MAX_VALUE / d) {
                throw new IllegalArgumentException("a tensor of shape " + t.getShapeList() + " claims more values than a message holds");
            }
            count *= d;
        }
        int n;
        switch (t.getDtype()) {
            case FLOAT64:
                n = t.getF64Count();
                break;
            case FLOAT32:
                n = t.getF32Count();
                break;
            case INT64:
                n = t.getI64Count();
                break;
            case BOOL:
                n = t.getBCount();
                break;
            default:
                throw new IllegalArgumentException("a tensor has an unknown dtype " + t.getDtypeValue());
        }
        if (n != count) {
            throw new IllegalArgumentException("a tensor of shape " + t.getShapeList() + " holds " + n + " values, not " + count);
        }
        boolean scalar = t.getShapeCount() == 0;
        switch (t.getDtype()) {
            case FLOAT64: {
                if (scalar) {
                    return t.getF64(0);
                }
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = t.getF64(i);
                }
                return a;
            }
            case FLOAT32: {
                if (scalar) {
                    return (double) t.getF32(0);
                }
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = t.getF32(i);
                }
                return a;
            }
            case INT64: {
                if (scalar) {
                    return t.getI64(0);
                }
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = t.getI64(i);
                }
                return a;
            }
            default: {
                if (scalar) {
                    return t.getB(0);
                }
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = t.getB(i);
                }
                return a;
            }
        }
    }

    /** The parameter's name for a message: "Normal stddev". */
    private static String what(DistributionKind kind, DistributionKind.Parameter parameter) {
        return kind.label() + " " + parameter.name();
    }

    private static double[] numbers(Tensor t, DistributionKind kind, DistributionKind.Parameter parameter) {
        Object v = value(t);
        if (v instanceof Number) {
            return new double[] {((Number) v).doubleValue()};
        }
        if (v instanceof double[]) {
            return (double[]) v;
        }
        if (v instanceof long[]) {
            long[] a = (long[]) v;
            double[] out = new double[a.length];
            for (int i = 0; i < a.length; i++) {
                out[i] = a[i];
            }
            return out;
        }
        throw new IllegalArgumentException(what(kind, parameter) + " must be numbers");
    }

    private static double scalar(Tensor t, DistributionKind kind, DistributionKind.Parameter parameter) {
        if (t.getShapeCount() != 0) {
            throw new IllegalArgumentException(what(kind, parameter) + " must be a scalar");
        }
        if (t.getDtype() == Tensor.DType.FLOAT64 && t.getF64Count() == 1) {
            return t.getF64(0);  // the common case, without boxing
        }
        return numbers(t, kind, parameter)[0];
    }

    private static long integer(Tensor t, DistributionKind kind, DistributionKind.Parameter parameter) {
        double n = scalar(t, kind, parameter);
        if (n != Math.rint(n) || Math.abs(n) > 9.2e18) {
            throw new IllegalArgumentException(what(kind, parameter) + " must be an integer, got " + Values.format(n));
        }
        return (long) n;
    }

    /** A matrix as a tensor of shape [rows, columns], or a square one flattened row by row. */
    private static double[][] matrix(Tensor t, DistributionKind kind, DistributionKind.Parameter parameter) {
        double[] flat = numbers(t, kind, parameter);
        int rows;
        if (t.getShapeCount() == 2) {
            rows = (int) t.getShape(0);
        } else {
            rows = (int) Math.round(Math.sqrt(flat.length));
            if (t.getShapeCount() != 1 || (long) rows * rows != flat.length) {
                throw new IllegalArgumentException(what(kind, parameter) + " must be a square matrix (flattened row by row), got "
                        + flat.length + " values");
            }
        }
        int columns = rows == 0 ? 0 : flat.length / rows;
        double[][] m = new double[rows][columns];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(flat, i * columns, m[i], 0, columns);
        }
        return m;
    }

    /**
     * A protocol distribution as a runtime one: its parameter tensors are read by the registry's
     * parameter types, in the registry's order ({@code Mixture}'s components travel apart).
     *
     * @throws IllegalArgumentException naming an unknown kind, a wrong parameter count or a bad parameter
     */
    static Distribution<?> distribution(dev.probe.bridge.v1.Distribution d) {
        DistributionKind kind = DistributionKind.named(d.getKind()).orElseThrow(() -> new IllegalArgumentException(
                "unknown distribution '" + d.getKind() + "'; the runtime has " + DistributionKind.labels()));
        List<DistributionKind.Parameter> parameters = kind.parameters();
        List<Tensor> p = d.getParamsList();
        // Plain loops and no message text until one is needed: this runs for every choice a simulator sends.
        int tensors = 0;
        for (DistributionKind.Parameter x : parameters) {
            if (x.type() != DistributionKind.ParameterType.DISTRIBUTIONS) {
                tensors++;
            }
        }
        if (p.size() != tensors) {
            throw new IllegalArgumentException(kind.label() + " takes " + tensors + " parameter" + (tensors == 1 ? "" : "s")
                    + ", got " + p.size());
        }
        boolean broadcast = false;
        if (kind.broadcasts()) {
            for (Tensor t : p) {
                broadcast |= t.getShapeCount() > 0;
            }
        }
        Object[] arguments = new Object[parameters.size()];
        int next = 0;
        for (int i = 0; i < arguments.length; i++) {
            DistributionKind.Parameter parameter = parameters.get(i);
            arguments[i] = switch (parameter.type()) {
                case NUMBER -> broadcast ? numbers(p.get(next++), kind, parameter) : (Object) scalar(p.get(next++), kind, parameter);
                case INTEGER -> integer(p.get(next++), kind, parameter);
                case NUMBERS -> numbers(p.get(next++), kind, parameter);
                case MATRIX -> matrix(p.get(next++), kind, parameter);
                case DISTRIBUTIONS -> {
                    List<Distribution<?>> parts = new ArrayList<>();
                    for (dev.probe.bridge.v1.Distribution c : d.getComponentsList()) {
                        parts.add(distribution(c));
                    }
                    yield parts;
                }
            };
        }
        return kind.create(arguments);
    }
}
