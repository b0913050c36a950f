package dev.probe.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code probe plane} through the launcher on the paper's example (models/planing), at a small size:
 * the four rows, their AUCs in range, one seed one table whatever the thread count, and usage errors.
 */
class PlaneCommandEndToEndTest {

    private static final String[] SMALL = {"plane", "--signal", "models/planing/zprime.ppl", "--background",
        "models/planing/photon.ppl", "--features", "em,ep", "--add", "m", "--plane", "m", "--plane", "m,dabsy", "--events", "1000",
        "--hidden", "16,16", "--epochs", "10", "--batch-size", "64", "--bootstrap", "50", "--seed", "3", "--json", "--quiet"};

    private static String[] with(String... more) {
        String[] all = java.util.Arrays.copyOf(SMALL, SMALL.length + more.length);
        System.arraycopy(more, 0, all, SMALL.length, more.length);
        return all;
    }

    @Test
    void theFourRowTableIsReproducible() throws Exception {
        ProbeCommandEndToEndTest.Run first = ProbeCommandEndToEndTest.probe(with("--threads", "2"));
        assertEquals(0, first.code(), first.err());
        JsonNode rows = new ObjectMapper().readTree(first.out()).get("rows");
        assertEquals(4, rows.size());
        assertEquals("em,ep planed in m,dabsy", rows.get(3).get("label").asText());
        for (JsonNode row : rows) {
            for (String kind : new String[] {"linear", "deep"}) {
                double auc = row.get(kind).get("auc").asDouble();
                double error = row.get(kind).get("error").asDouble();
                // Planing spends events (here an effective 70 or so signal events are held out), so only the
                // range is checked; StudyTest checks what planing does to the AUC.
                assertTrue(auc >= 0 && auc <= 1 && error > 0, row.toString());
            }
        }
        // The mass separates the classes: with m as an input, logistic regression reaches 0.90 at full
        // size; here its error is about 0.02, so 0.75 lies 7 errors below.
        assertTrue(rows.get(1).get("linear").get("auc").asDouble() > 0.75, rows.get(1).toString());
        ProbeCommandEndToEndTest.Run again = ProbeCommandEndToEndTest.probe(with("--threads", "1"));
        assertEquals(0, again.code(), again.err());
        JsonNode rowsAgain = new ObjectMapper().readTree(again.out()).get("rows");
        for (int i = 0; i < rows.size(); i++) {
            for (String kind : new String[] {"linear", "deep"}) {
                assertEquals(rows.get(i).get(kind).get("auc"), rowsAgain.get(i).get(kind).get("auc"));
                assertEquals(rows.get(i).get(kind).get("error"), rowsAgain.get(i).get(kind).get("error"));
            }
        }
    }

    @Test
    void badNamesAreUsageErrors() throws Exception {
        ProbeCommandEndToEndTest.Run unknown = ProbeCommandEndToEndTest.probe("plane", "--signal", "models/planing/zprime.ppl",
                "--background", "models/planing/photon.ppl", "--features", "em,mass", "--events", "20", "--seed", "1", "--quiet");
        assertEquals(2, unknown.code(), unknown.err());
        assertTrue(unknown.err().startsWith("probe: 'mass' does not occur in run 0 of --signal models/planing/zprime.ppl"),
                unknown.err());
        ProbeCommandEndToEndTest.Run vector = ProbeCommandEndToEndTest.probe("plane", "--signal", "models/planing/zprime.ppl",
                "--background", "models/planing/photon.ppl", "--features", "m", "--plane", "em", "--events", "20", "--seed", "1",
                "--quiet");
        assertEquals(2, vector.code(), vector.err());
        assertTrue(vector.err().contains("'em' has 4 numbers per event"), vector.err());
        assertFalse(vector.err().contains("\tat "));
        ProbeCommandEndToEndTest.Run missing = ProbeCommandEndToEndTest.probe("plane", "--signal", "models/planing/none.ppl",
                "--background", "models/planing/photon.ppl", "--features", "m", "--events", "20", "--seed", "1", "--quiet");
        assertEquals(2, missing.code(), missing.err());
    }
}
