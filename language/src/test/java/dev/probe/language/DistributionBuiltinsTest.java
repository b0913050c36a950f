package dev.probe.language;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

import org.apache.commons.rng.UniformRandomProvider;
import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.DistributionKind;

/** The script constructors and the language reference's table agree with the runtime's registry of kinds. */
class DistributionBuiltinsTest {

    /** A canonical registry argument as the script value that means it. */
    private static Object scriptValue(Object canonical) {
        if (canonical instanceof double[]) {
            PArray a = new PArray(0);
            for (double x : (double[]) canonical) {
                a.add(x);
            }
            return a;
        }
        if (canonical instanceof double[][]) {
            PArray rows = new PArray(0);
            for (double[] row : (double[][]) canonical) {
                rows.add(scriptValue(row));
            }
            return rows;
        }
        if (canonical instanceof List) {
            return new PArray((List<?>) canonical);
        }
        return canonical;
    }

    @Test
    void everyKindIsAConstructorThatBuildsWhatTheRegistryBuilds() {
        UniformRandomProvider rng = new XoRoShiRo128PlusPlus(3, 4);
        for (DistributionKind k : DistributionKind.values()) {
            Builtins.Fn fn = Builtins.find(k.label());
            assertNotNull(fn, k.label() + " is no script constructor");
            assertTrue(Builtins.isDistribution(k.label()));
            assertEquals(k.parameters().size(), fn.minArgs, k.label());
            assertEquals(k.parameters().size(), fn.maxArgs, k.label());
            Object[] canonical = k.exampleArguments();
            Object[] script = new Object[canonical.length];
            for (int i = 0; i < script.length; i++) {
                script[i] = scriptValue(canonical[i]);
            }
            @SuppressWarnings("unchecked")
            Distribution<Object> fromScript = (Distribution<Object>) fn.apply(script);
            @SuppressWarnings("unchecked")
            Distribution<Object> fromRegistry = (Distribution<Object>) k.create(canonical);
            assertEquals(fromRegistry.kind(), fromScript.kind());
            assertEquals(fromRegistry.valueType(), fromScript.valueType(), k.label());
            Object x = fromRegistry.sample(rng);
            assertEquals(fromRegistry.logProb(x), fromScript.logProb(x), 0.0, k.label());
        }
    }

    @Test
    void scriptArgumentsOfTheWrongTypeNameTheConstructorAndParameter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Builtins.find("Normal").apply(new Object[] {"zero", 1.0}));
        assertEquals("Normal's mean must be a number, got the string \"zero\"", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Builtins.find("Mixture").apply(new Object[] {scriptValue(new double[] {1}), scriptValue(List.of(1.0))}));
        assertTrue(e.getMessage().startsWith("Mixture's components[0] must be a distribution"), e.getMessage());
    }

    private static List<String> reference() throws IOException {
        return Files.readAllLines(Path.of("..", "docs", "language.md"));
    }

    @Test
    void theLanguageReferenceTablesEveryKindInOrder() throws IOException {
        List<String> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : reference()) {
            if (line.equals("| constructor | support, value type |")) {
                inTable = true;
            } else if (inTable && !line.startsWith("|")) {
                break;
            } else if (inTable && !line.startsWith("| ---")) {
                rows.add(line);
            }
        }
        List<String> expected = new ArrayList<>();
        for (DistributionKind k : DistributionKind.values()) {
            expected.add("| `" + k.signature() + "` | " + k.supportText() + " |");
        }
        assertEquals(expected, rows);
    }

    @Test
    void theLanguageReferenceNamesEveryKindWithArrayParameters() throws IOException {
        List<DistributionKind> broadcasting = new ArrayList<>();
        for (DistributionKind k : DistributionKind.values()) {
            if (k.broadcasts()) {
                broadcasting.add(k);
            }
        }
        StringJoiner names = new StringJoiner(", ");
        for (int i = 0; i < broadcasting.size() - 1; i++) {
            names.add("`" + broadcasting.get(i).label() + "`");
        }
        String sentence = names + " and `" + broadcasting.get(broadcasting.size() - 1).label() + "` also take array";
        assertTrue(reference().stream().anyMatch(l -> l.startsWith(sentence)), "docs/language.md should say: " + sentence);
    }
}
