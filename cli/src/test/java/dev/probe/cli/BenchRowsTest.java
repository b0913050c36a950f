package dev.probe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code probe bench}'s model rows time inferences of a fixed number of runs, never one sized by
 * time: the same posterior size whatever the build or the machine. Nothing here is timed.
 */
class BenchRowsTest {

    @Test
    void rowsTimeTheRunsAskedForInAnOddNumberOfPairs() throws Exception {
        CliTest.Result r = CliTest.probe("bench", "--models", "coin", "--runs", "2048", "--seconds", "0.01", "--repeats", "3",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode rows = r.json().get("models");
        assertEquals(2, rows.size(), rows.toString());
        for (JsonNode row : rows) {
            assertEquals(2048, row.get("runs_per_timed_inference").asInt(), row.toString());
            int pairs = row.get("pairs").asInt();
            assertTrue(pairs >= 3 && pairs % 2 == 1, row.toString());
            assertTrue(row.get("runs_per_second_1_thread").asLong() > 0, row.toString());
        }
    }

    @Test
    void runsMustBePositive() {
        CliTest.Result r = CliTest.probe("bench", "--models", "coin", "--runs", "0");
        assertEquals(ExitCode.USAGE, r.code(), r.err());
        assertTrue(r.err().contains("--runs"), r.err());
    }

    /** A misspelt --models name was skipped in silence and the command printed nothing; now it is a usage error. */
    @Test
    void anUnknownModelNameIsAUsageError() throws Exception {
        CliTest.Result r = CliTest.probe("bench", "--models", "gausian");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--models: no benchmark 'gausian'") && r.err().contains("gaussian"), r.err());
    }
}
