package dev.probe.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

import dev.probe.bridge.v1.Tensor;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.DistributionKind;
import dev.probe.runtime.distribution.Normal;

/** The bridge's conversion and the C++ client's constructors agree with the runtime's registry of kinds. */
class DistributionKindsTest {

    /** A kind and canonical arguments as the message a client sends (a matrix flattened row by row, as the C++ client does). */
    private static dev.probe.bridge.v1.Distribution message(DistributionKind kind, Object[] arguments) {
        dev.probe.bridge.v1.Distribution.Builder d = dev.probe.bridge.v1.Distribution.newBuilder().setKind(kind.label());
        for (Object a : arguments) {
            if (a instanceof double[][]) {
                double[][] m = (double[][]) a;
                double[] flat = new double[m.length * m.length];
                for (int i = 0; i < m.length; i++) {
                    System.arraycopy(m[i], 0, flat, i * m.length, m.length);
                }
                d.addParams(Messages.tensor(flat));
            } else if (a instanceof List) {
                for (Object c : (List<?>) a) {
                    Normal n = (Normal) c;
                    d.addComponents(message(DistributionKind.NORMAL, new Object[] {n.mean(), Math.sqrt(n.variance())}));
                }
            } else {
                d.addParams(Messages.tensor(a));
            }
        }
        return d.build();
    }

    @Test
    void everyKindCrossesTheBridgeAsTheRegistryBuildsIt() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(5, 6);
        for (DistributionKind k : DistributionKind.values()) {
            @SuppressWarnings("unchecked")
            Distribution<Object> expected = (Distribution<Object>) k.create(k.exampleArguments());
            @SuppressWarnings("unchecked")
            Distribution<Object> received = (Distribution<Object>) Messages.distribution(message(k, k.exampleArguments()));
            assertEquals(expected.kind(), received.kind());
            assertEquals(expected.valueType(), received.valueType(), k.label());
            Object x = expected.sample(rng);
            assertEquals(expected.logProb(x), received.logProb(x), 0.0, k.label());
        }
    }

    @Test
    void kindsThatBroadcastTakeArraysOverTheBridge() {
        for (DistributionKind k : DistributionKind.values()) {
            if (!k.broadcasts()) {
                continue;
            }
            Object[] a = k.exampleArguments();
            a[0] = new double[] {((Number) a[0]).doubleValue(), ((Number) a[0]).doubleValue()};
            Distribution<?> d = Messages.distribution(message(k, a));
            assertEquals(2, d.dimension(), k.label());
        }
    }

    @Test
    void badMessagesAreNamedInTheRegistrysTerms() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Messages.distribution(
                dev.probe.bridge.v1.Distribution.newBuilder().setKind("Garbage").build()));
        assertEquals("unknown distribution 'Garbage'; the runtime has " + DistributionKind.labels(), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Messages.distribution(message(DistributionKind.NORMAL,
                new Object[] {1.0})));
        assertEquals("Normal takes 2 parameters, got 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Messages.distribution(message(DistributionKind.BINOMIAL,
                new Object[] {2.5, 0.5})));
        assertEquals("Binomial n must be an integer, got 2.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Messages.distribution(message(DistributionKind.MULTIVARIATE_NORMAL,
                new Object[] {new double[] {0, 0}, new double[] {1, 0, 1}})));
        assertEquals("MultivariateNormal cov must be a square matrix (flattened row by row), got 3 values", e.getMessage());
    }

    private static final Pattern DECLARATION = Pattern.compile("^Distribution (\\w+)\\((.*)\\);$", Pattern.MULTILINE);

    private static String cppType(DistributionKind.ParameterType type, boolean array) {
        return switch (type) {
            case NUMBER -> array ? "std::vector<double>" : "double";
            case INTEGER -> "int64_t";
            case NUMBERS, MATRIX -> "std::vector<double>";
            case DISTRIBUTIONS -> "std::vector<Distribution>";
        };
    }

    private static String declaration(DistributionKind k, boolean array) {
        StringJoiner ps = new StringJoiner(", ", "Distribution " + k.label() + "(", ");");
        for (DistributionKind.Parameter p : k.parameters()) {
            ps.add(cppType(p.type(), array) + " " + p.name());
        }
        return ps.toString();
    }

    /** The C++ client's constructors are the registry's kinds, with its parameter names in its order, array forms included. */
    @Test
    void theCppClientDeclaresEveryKindAndNoOther() throws IOException {
        String header = Files.readString(Path.of("cpp/include/probe/probe.hpp"));
        Set<String> declared = new TreeSet<>();
        Matcher m = DECLARATION.matcher(header);
        while (m.find()) {
            declared.add(m.group());
        }
        Set<String> expected = new TreeSet<>();
        for (DistributionKind k : DistributionKind.values()) {
            expected.add(declaration(k, false));
            if (k.broadcasts()) {
                expected.add(declaration(k, true));
            }
        }
        assertEquals(expected, declared);
    }

    /**
     * The C++ client decides whether a value comes back as an array from the parameters' shapes,
     * which is wrong for kinds with an array parameter: those must be named in its rule.
     */
    @Test
    void theCppClientsArrayRuleNamesEveryKindWithAnArrayParameter() throws IOException {
        String source = Files.readString(Path.of("cpp/src/probe.cpp"));
        int start = source.indexOf("bool is_vector(const Distribution& d) {");
        assertTrue(start >= 0, "is_vector not found in probe.cpp");
        String body = source.substring(start, source.indexOf("\n}\n", start));
        Set<String> named = new TreeSet<>();
        Matcher m = Pattern.compile("d\\.kind == \"(\\w+)\"").matcher(body);
        while (m.find()) {
            named.add(m.group(1));
        }
        Set<String> expected = new TreeSet<>();
        for (DistributionKind k : DistributionKind.values()) {
            if (k.parameters().stream().anyMatch(p -> p.type() != DistributionKind.ParameterType.NUMBER
                    && p.type() != DistributionKind.ParameterType.INTEGER)) {
                expected.add(k.label());
            }
        }
        assertEquals(expected, named);
    }
}
