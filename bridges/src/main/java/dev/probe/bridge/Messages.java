package dev.probe.bridge;

import java.util.ArrayList;
import java.util.List;

import dev.probe.bridge.v1.Tensor;
import dev.probe.runtime.distribution.Bernoulli;
import dev.probe.runtime.distribution.BernoulliArray;
import dev.probe.runtime.distribution.Beta;
import dev.probe.runtime.distribution.Binomial;
import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Dirichlet;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Exponential;
import dev.probe.runtime.distribution.Gamma;
import dev.probe.runtime.distribution.LogNormal;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.MultivariateNormal;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.NormalArray;
import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.distribution.PoissonArray;
import dev.probe.runtime.distribution.TruncatedNormal;
import dev.probe.runtime.distribution.Uniform;
import dev.probe.runtime.distribution.UniformArray;
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

    private static double[] numbers(Tensor t, String what) {
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
        throw new IllegalArgumentException(what + " must be numbers");
    }

    private static double scalar(Tensor t, String what) {
        if (t.getShapeCount() != 0) {
            throw new IllegalArgumentException(what + " must be a scalar");
        }
        return numbers(t, what)[0];
    }

    /**
     * A protocol distribution as a runtime one.
     *
     * @throws IllegalArgumentException naming an unknown kind, a wrong parameter count or a bad parameter
     */
    static Distribution<?> distribution(dev.probe.bridge.v1.Distribution d) {
        String kind = d.getKind();
        List<Tensor> p = d.getParamsList();
        boolean array = p.stream().anyMatch(t -> t.getShapeCount() > 0);
        switch (kind) {
            case "Normal":
                count(kind, p, 2);
                return array ? NormalArray.of(numbers(p.get(0), "Normal mean"), numbers(p.get(1), "Normal stddev"))
                        : Normal.of(scalar(p.get(0), "Normal mean"), scalar(p.get(1), "Normal stddev"));
            case "Uniform":
                count(kind, p, 2);
                return array ? UniformArray.of(numbers(p.get(0), "Uniform low"), numbers(p.get(1), "Uniform high"))
                        : Uniform.of(scalar(p.get(0), "Uniform low"), scalar(p.get(1), "Uniform high"));
            case "Bernoulli":
                count(kind, p, 1);
                return array ? BernoulliArray.of(numbers(p.get(0), "Bernoulli p")) : Bernoulli.of(scalar(p.get(0), "Bernoulli p"));
            case "Poisson":
                count(kind, p, 1);
                return array ? PoissonArray.of(numbers(p.get(0), "Poisson rate")) : Poisson.of(scalar(p.get(0), "Poisson rate"));
            case "TruncatedNormal":
                count(kind, p, 4);
                return TruncatedNormal.of(scalar(p.get(0), "mean"), scalar(p.get(1), "stddev"), scalar(p.get(2), "low"),
                        scalar(p.get(3), "high"));
            case "LogNormal":
                count(kind, p, 2);
                return LogNormal.of(scalar(p.get(0), "mu"), scalar(p.get(1), "sigma"));
            case "Exponential":
                count(kind, p, 1);
                return Exponential.of(scalar(p.get(0), "rate"));
            case "Gamma":
                count(kind, p, 2);
                return Gamma.of(scalar(p.get(0), "shape"), scalar(p.get(1), "rate"));
            case "Beta":
                count(kind, p, 2);
                return Beta.of(scalar(p.get(0), "alpha"), scalar(p.get(1), "beta"));
            case "Binomial": {
                count(kind, p, 2);
                double n = scalar(p.get(0), "n");
                if (n != Math.rint(n)) {
                    throw new IllegalArgumentException("Binomial: n must be an integer, got " + n);
                }
                return Binomial.of((long) n, scalar(p.get(1), "p"));
            }
            case "Categorical":
                count(kind, p, 1);
                return Categorical.of(numbers(p.get(0), "Categorical weights"));
            case "Dirichlet":
                count(kind, p, 1);
                return Dirichlet.of(numbers(p.get(0), "Dirichlet alphas"));
            case "MultivariateNormal": {
                count(kind, p, 2);
                double[] mean = numbers(p.get(0), "mean");
                double[] flat = numbers(p.get(1), "cov");
                // In long: a mean of 65,536 elements squared overflows an int to 0 and let an empty cov through.
                if (flat.length != (long) mean.length * mean.length) {
                    throw new IllegalArgumentException("MultivariateNormal: cov must hold " + (long) mean.length * mean.length
                            + " values (row by row), got " + flat.length);
                }
                double[][] cov = new double[mean.length][mean.length];
                for (int i = 0; i < mean.length; i++) {
                    System.arraycopy(flat, i * mean.length, cov[i], 0, mean.length);
                }
                return MultivariateNormal.of(mean, cov);
            }
            case "Mixture": {
                count(kind, p, 1);
                List<Distribution<Object>> parts = new ArrayList<>();
                for (dev.probe.bridge.v1.Distribution c : d.getComponentsList()) {
                    @SuppressWarnings("unchecked")
                    Distribution<Object> part = (Distribution<Object>) distribution(c);
                    parts.add(part);
                }
                return Mixture.of(numbers(p.get(0), "Mixture weights"), parts);
            }
            default:
                throw new IllegalArgumentException("unknown distribution '" + kind + "'; the runtime has Normal, Uniform,"
                        + " TruncatedNormal, LogNormal, Exponential, Gamma, Beta, Bernoulli, Binomial, Poisson, Categorical,"
                        + " Dirichlet, MultivariateNormal and Mixture");
        }
    }

    private static void count(String kind, List<Tensor> params, int expected) {
        if (params.size() != expected) {
            throw new IllegalArgumentException(kind + " takes " + expected + " parameter" + (expected == 1 ? "" : "s")
                    + ", got " + params.size());
        }
    }
}
