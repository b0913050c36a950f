package dev.probe.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.probe.proposals.Artifact;
import dev.probe.proposals.Devices;
import dev.probe.proposals.NetworkProposal;
import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.posterior.Posterior;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code probe infer MODEL}: posterior inference. */
@Command(name = "infer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Posterior inference: prints a summary table, or JSON with --json.")
final class InferCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Option(names = "--engine", paramLabel = "ENGINE", defaultValue = "is",
            description = "prior, is (importance sampling), rmh (Metropolis-Hastings) or ic (inference compilation). Default: is.")
    String engine;

    @Option(names = "--traces", paramLabel = "N", defaultValue = "10000",
            description = "Runs (for rmh: kept samples). Default: 10000.")
    int traces;

    @Option(names = "--burn-in", paramLabel = "N", description = "rmh: steps dropped at the start of each chain (default: a fifth of the chain, at least 200).")
    Integer burnIn;

    @Option(names = "--thin", paramLabel = "K", defaultValue = "1", description = "rmh: keep every K-th step. Default: 1.")
    int thin;

    @Option(names = "--chains", paramLabel = "C", defaultValue = "4", description = "rmh: independent chains. Default: 4.")
    int chains;

    @Option(names = "--network", paramLabel = "DIR", description = "The trained network for --engine ic.")
    Path network;

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu",
            description = "--engine ic: where the network runs: cpu, gpu or auto. Default: cpu.")
    String device;

    @Option(names = "--prior-mix", paramLabel = "P", defaultValue = "0",
            description = "--engine ic: draw each choice from its prior with probability P (defensive importance"
                    + " sampling; guards posterior modes the network under-covers). Default: 0.")
    double priorMix;

    @Option(names = "--group", paramLabel = "K",
            description = "--engine ic: runs advanced side by side so that their network steps are batched (the result"
                    + " does not depend on it beyond float rounding). Default: 32, or 1 for networks of one-choice models.")
    Integer group;

    @Option(names = "--save", paramLabel = "FILE", description = "Saves the weighted posterior for later loading.")
    Path save;

    @Option(names = "--report", paramLabel = "FILE", description = "Also writes an HTML report (summary, diagnostics, plots).")
    Path report;

    @Option(names = "--json", description = "Machine-readable summary on standard output.")
    boolean json;

    @Option(names = "--record-addresses", description = "Also summarise unnamed samples, by address.")
    boolean recordAddresses;

    @Mixin
    CommonOptions common;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (traces <= 0) {
            throw new UsageException("--traces must be positive, got " + traces);
        }
        if (thin <= 0) {
            throw new UsageException("--thin must be positive, got " + thin);
        }
        if (chains <= 0) {
            throw new UsageException("--chains must be positive, got " + chains);
        }
        if (burnIn != null && burnIn < 0) {
            throw new UsageException("--burn-in must not be negative, got " + burnIn);
        }
        if (group != null && group < 1) {
            throw new UsageException("--group must be positive, got " + group);
        }
        if (!(priorMix >= 0 && priorMix < 1)) {
            throw new UsageException("--prior-mix must be at least 0 and below 1, got " + priorMix);
        }
        if (network != null && !engine.equals("ic")) {
            throw new UsageException("--network is for --engine ic; add --engine ic to use the network");
        }
        Model loaded = model.load(err);
        Artifact artifact = null;
        try {
            if (engine.equals("ic")) {
                artifact = network(loaded);
            }
            return infer(loaded, artifact, out, err);
        } finally {
            if (artifact != null) {
                artifact.network().close();
            }
            model.close();
        }
    }

    /** The trained network for --engine ic, checked against the model and the observations. */
    private Artifact network(Model loaded) throws IOException {
        if (network == null) {
            throw new UsageException("--engine ic needs --network DIR: a network trained for this model with probe compile "
                    + (model.label() == null ? "MODEL" : model.label()) + " --out DIR");
        }
        // Each worker thread runs its own small network steps: one PyTorch thread each serves best.
        Devices.prepare(1);
        Artifact artifact;
        try {
            artifact = Artifact.load(network, Devices.choose(device));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        try {
            artifact.requireModel(loaded.identity(), model.label(), network);
            artifact.network().layout().input(model.observations());
        } catch (IllegalArgumentException e) {
            artifact.network().close();
            throw new UsageException(e.getMessage(), e);
        }
        return artifact;
    }

    private Integer infer(Model loaded, Artifact artifact, PrintWriter out, PrintWriter err) throws IOException {
        Inference inference;
        switch (engine) {
            case "prior":
                inference = Inference.prior(loaded);
                break;
            case "is":
                inference = Inference.importanceSampling(loaded);
                break;
            case "rmh":
                inference = Inference.metropolisHastings(loaded).thin(thin).chains(chains);
                if (burnIn != null) {
                    inference.burnIn(burnIn);
                }
                break;
            case "ic":
                inference = Inference.importanceSampling(loaded).proposal(new NetworkProposal(artifact.network(), priorMix,
                        group != null ? group : artifact.suggestedGroupSize()));
                break;
            default:
                throw new UsageException("--engine " + engine + ": unknown engine; choose prior, is, rmh or ic");
        }
        CommonOptions c = common;
        long seed = c.seed(err, "to reproduce this result");
        ProgressBar bar = new ProgressBar(err, engine.equals("rmh") ? "steps" : "runs");
        inference.observations(model.observations())
                .traces(traces).seed(seed).threads(model.threads(c.threads()))
                .recordAddresses(recordAddresses)
                .label(model.label());
        if (!c.quiet) {
            inference.progress(bar);
        }
        long t0 = System.nanoTime();
        Posterior posterior;
        try {
            posterior = inference.run();
        } finally {
            bar.finish();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (save != null) {
            posterior.save(save);
            err.println("probe: saved the posterior to " + save);
        }
        Summary summary = new Summary(model.label(), engine, traces, seed, seconds, posterior);
        if (report != null) {
            dev.probe.diagnostics.Report.of(posterior, model.label()).write(report);
            err.println("probe: wrote the report to " + report);
        }
        if (json) {
            out.println(summary.toJson());
        } else {
            out.print(summary.toTable());
        }
        out.flush();
        return ExitCode.OK;
    }
}
