package dev.probe.runtime.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

/** The registry of distribution kinds agrees with the distributions it builds and with this package's classes. */
class DistributionKindTest {

    @Test
    void everyKindBuildsItsExampleWithItsNameSupportAndValueType() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(1, 2);
        for (DistributionKind k : DistributionKind.values()) {
            Distribution<?> d = k.create(k.exampleArguments());
            assertEquals(k.label(), d.kind(), k.toString());
            k.valueType().ifPresent(t -> assertEquals(t, d.valueType(), k.label()));
            k.supportKind().ifPresent(s -> assertEquals(s, d.support().kind(), k.label()));
            @SuppressWarnings("unchecked")
            Distribution<Object> any = (Distribution<Object>) d;
            Object x = any.sample(rng);
            assertTrue(Double.isFinite(any.logProb(x)), k.label() + " at its own draw " + Values.format(x));
        }
    }

    @Test
    void broadcastingKindsGiveArraysOfIndependentDrawsOfTheSameKind() {
        for (DistributionKind k : DistributionKind.values()) {
            Object[] a = k.exampleArguments();
            boolean anyNumber = false;
            for (int i = 0; i < a.length; i++) {
                if (k.parameters().get(i).type() == DistributionKind.ParameterType.NUMBER && i == 0) {
                    double x = ((Number) a[i]).doubleValue();
                    a[i] = new double[] {x, x, x};
                    anyNumber = true;
                }
            }
            if (!anyNumber) {
                continue;
            }
            if (k.broadcasts()) {
                Distribution<?> d = k.create(a);
                assertEquals(k.label(), d.kind());
                assertEquals(3, d.dimension(), k.label());
                assertTrue(d.valueType().isArray(), k.label());
            } else {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.create(a), k.label());
                assertTrue(e.getMessage().startsWith(k.label() + ": " + k.parameters().get(0).name() + " must be a number"),
                        e.getMessage());
            }
        }
    }

    @Test
    void aWrongArgumentCountNamesTheParameters() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DistributionKind.NORMAL.create(1.0));
        assertEquals("Normal takes 2 parameters (mean, stddev), got 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DistributionKind.MIXTURE.create(new double[] {1}, List.of(1.0)));
        assertEquals("Mixture: components[0] must be a distribution, got 1.0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DistributionKind.BINOMIAL.create(2.5, 0.5));
        assertEquals("Binomial: n must be an integer, got 2.5", e.getMessage());
    }

    @Test
    void labelsAreUniqueAndFoundByName() {
        Set<String> seen = new HashSet<>();
        for (DistributionKind k : DistributionKind.values()) {
            assertTrue(seen.add(k.label()), "twice: " + k.label());
            assertEquals(k, DistributionKind.named(k.label()).orElseThrow());
        }
        assertFalse(DistributionKind.named("Garbage").isPresent());
        assertTrue(DistributionKind.labels().startsWith("Normal, Uniform, "), DistributionKind.labels());
        assertTrue(DistributionKind.labels().endsWith(" and Mixture"), DistributionKind.labels());
        assertEquals("Mixture(weights, [d1, d2, ...])", DistributionKind.MIXTURE.signature());
    }

    /** A distribution class added to this package with a kind of its own must be declared in the registry. */
    @Test
    void everyKindThisPackageImplementsIsRegistered() throws IOException {
        Pattern kind = Pattern.compile("public String kind\\(\\) \\{\\s*return \"(\\w+)\";");
        Set<String> implemented = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/java/dev/probe/runtime/distribution"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Matcher m = kind.matcher(Files.readString(f));
                while (m.find()) {
                    implemented.add(m.group(1));
                }
            }
        }
        Set<String> registered = new TreeSet<>();
        for (DistributionKind k : DistributionKind.values()) {
            registered.add(k.label());
        }
        assertTrue(implemented.size() >= 13, "kinds found in the sources: " + implemented);
        assertEquals(registered, implemented);
    }

    @Test
    void mainPrintsOneJsonObjectPerKind() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(out);
            DistributionKind.main(new String[0]);
        } finally {
            System.setOut(saved);
        }
        List<String> lines = new ArrayList<>(List.of(bytes.toString(StandardCharsets.UTF_8).split("\n")));
        assertEquals(DistributionKind.values().length, lines.size());
        assertEquals("{\"name\": \"Normal\", \"parameters\": [{\"name\": \"mean\", \"type\": \"number\"},"
                + " {\"name\": \"stddev\", \"type\": \"number\"}], \"support\": \"real\", \"value\": \"real\", \"broadcasts\": true}",
                lines.get(0));
        assertTrue(lines.get(lines.size() - 1).startsWith("{\"name\": \"Mixture\""), lines.get(lines.size() - 1));
        assertTrue(lines.get(lines.size() - 1).contains("\"support\": null, \"value\": null"), lines.get(lines.size() - 1));
    }
}
