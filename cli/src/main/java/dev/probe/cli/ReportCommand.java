package dev.probe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import dev.probe.diagnostics.Report;
import dev.probe.diagnostics.Sbc;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code probe report RESULT --out report.html}: one self-contained HTML page about a result. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Writes one self-contained HTML page (summary, diagnostics with verdicts, plots) about a saved"
                + " posterior or a trained network's directory.")
final class ReportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RESULT", description = "A posterior saved by probe infer --save, a network directory from probe compile, or a calibration"
                    + " result from probe calibrate --out (.json).")
    Path result;

    @Option(names = {"--out", "-o"}, paramLabel = "FILE", required = true, description = "The HTML file to write.")
    Path out;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Report report;
        if (Files.isDirectory(result)) {
            Path meta = result.resolve("network.json");
            if (!Files.isRegularFile(meta)) {
                throw new UsageException("report: " + result + " is a directory without network.json: not a network from probe compile");
            }
            JsonNode network;
            try {
                network = Json.MAPPER.readTree(meta.toFile());
            } catch (JsonProcessingException e) {
                throw new UsageException("report: " + meta + " is not valid JSON: " + e.getOriginalMessage());
            }
            report = Report.ofNetwork(network, result);
        } else if (!Files.exists(result)) {
            throw new NoSuchFileException(result.toString());
        } else if (result.getFileName().toString().endsWith(".json")) {
            report = calibration(result);
        } else {
            report = Report.of(ResultFiles.posterior(result, "report"), result.getFileName().toString());
        }
        report.write(out);
        spec.commandLine().getErr().println("probe: wrote the report to " + out);
        return ExitCode.OK;
    }

    /** A calibration result saved by probe calibrate --out: its ranks are tested again as they were. */
    private static Report calibration(Path file) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new UsageException("report: " + file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.has("calibration") || !root.path("variables").isObject()) {
            throw new UsageException("report: " + file + " is not a calibration result (write one with probe calibrate ... --out FILE)");
        }
        int draws = root.path("draws").asInt();
        int bins = root.path("bins").asInt();
        List<String> names = new ArrayList<>();
        List<Sbc.Uniformity> tests = new ArrayList<>();
        try {
            root.path("variables").fields().forEachRemaining(e -> {
                int[] ranks = new int[e.getValue().path("ranks").size()];
                for (int i = 0; i < ranks.length; i++) {
                    ranks[i] = e.getValue().path("ranks").get(i).asInt();
                }
                names.add(e.getKey());
                tests.add(Sbc.uniformity(ranks, draws, bins));
            });
        } catch (IllegalArgumentException e) {
            throw new UsageException("report: " + file + ": " + e.getMessage(), e);
        }
        return Report.ofCalibration("Calibration", root.path("calibration").asText(), names, tests,
                root.path("alpha").asDouble(dev.probe.diagnostics.Calibration.ALPHA));
    }
}
