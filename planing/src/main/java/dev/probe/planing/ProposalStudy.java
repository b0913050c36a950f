package dev.probe.planing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.probe.compiler.RunSource;
import dev.probe.compiler.SimulatedRun;
import dev.probe.compiler.Trainer;
import dev.probe.compiler.TrainingOptions;
import dev.probe.proposals.Artifact;

/**
 * What did the proposal network learn from one observation? Two networks are trained with the
 * same seed on the same runs: one as {@code probe compile} trains, one on the runs planed in the
 * observation against every latent ({@link LatentPlaning}); each choice's term of the loss weighed
 * by its planing weight. Each network's validation loss is then measured latent by latent, the
 * planed one's on the planed validation runs. A latent whose loss rises when the observation is
 * planed took that much information from it (in nats per choice).
 */
public final class ProposalStudy {

    /** Runs asked of the source at a time while gathering the training runs. */
    private static final int BLOCK = 4096;

    /**
     * One latent's validation losses (nats per choice, weighted means with standard errors).
     *
     * @param address   the latent's address
     * @param bins      its bins
     * @param raw       the unplaned network on the unplaned validation runs
     * @param planed    the planed network on the planed validation runs
     * @param effective Kish's effective number of training choices at the address after planing, over their number
     */
    public record Latent(String address, int bins, Trainer.AddressLoss raw, Trainer.AddressLoss planed, double effective) {

        /** The rise of the loss from planing, and its error (the two errors in quadrature). */
        public double rise() {
            return planed.loss() - raw.loss();
        }

        public double riseError() {
            return Math.hypot(raw.error(), planed.error());
        }
    }

    /**
     * The study's result.
     *
     * @param feature     the planed observation
     * @param featureBins its bins
     * @param traces      training runs
     * @param validation  validation runs
     * @param rawLoss     the unplaned network's validation loss (nats per run)
     * @param planedLoss  the planed network's weighted validation loss (nats per run)
     * @param latents     per latent, in the order the network learnt them
     * @param seconds     both trainings together
     */
    public record Result(String feature, int featureBins, int traces, int validation, double rawLoss, double planedLoss,
            List<Latent> latents, double seconds) {
    }

    private ProposalStudy() {
    }

    /**
     * Runs the study: {@code options.traces()} training runs and {@code options.validationSize()}
     * validation runs from {@code source}, {@code bins} bins per variable (0: about 25 validation
     * choices per cell, {@link Planing#defaultBins}). Nothing is saved.
     */
    public static Result run(RunSource source, TrainingOptions options, String feature, int bins, Trainer.Listener listener) {
        long start = System.nanoTime();
        List<SimulatedRun> validation = source.validation(options.validationSize());
        List<SimulatedRun> training = new ArrayList<>();
        while (training.size() < options.traces()) {
            List<SimulatedRun> more = source.next((int) Math.min(BLOCK, options.traces() - training.size()));
            if (more.isEmpty()) {
                break;
            }
            training.addAll(more);
        }
        if (training.isEmpty()) {
            throw new IllegalArgumentException("no training runs to plane");
        }
        int b = bins > 0 ? bins : Planing.defaultBins(validation.size(), 2);
        LatentPlaning planing = LatentPlaning.bins(training, feature, b);
        List<SimulatedRun> planedTraining = planing.plane(training);
        List<SimulatedRun> planedValidation = planing.plane(validation);
        TrainingOptions o = options.withOut(null);
        listener.message("training on the runs as simulated");
        Measured raw = trainAndMeasure(fixed(source, training, validation), validation, o, listener);
        listener.message("training on the runs planed in " + feature);
        Measured planed = trainAndMeasure(fixed(source, planedTraining, planedValidation), planedValidation, o, listener);
        Map<String, Trainer.AddressLoss> rawLosses = raw.byAddress();
        Map<String, Trainer.AddressLoss> planedLosses = planed.byAddress();
        List<Latent> latents = new ArrayList<>();
        for (Map.Entry<String, Trainer.AddressLoss> e : rawLosses.entrySet()) {
            Trainer.AddressLoss p = planedLosses.get(e.getKey());
            if (p != null) {
                latents.add(new Latent(e.getKey(), planing.latentBins(e.getKey()), e.getValue(), p,
                        effectiveFraction(planedTraining, e.getKey())));
            }
        }
        return new Result(feature, planing.featureBins(), training.size(), validation.size(), raw.loss(), planed.loss(), latents,
                (System.nanoTime() - start) / 1e9);
    }

    /** A trained network's validation loss, whole (nats per run) and address by address. */
    private record Measured(double loss, Map<String, Trainer.AddressLoss> byAddress) {
    }

    private static Measured trainAndMeasure(RunSource source, List<SimulatedRun> validation, TrainingOptions options,
            Trainer.Listener listener) {
        Artifact a = Trainer.train(source, options, listener);
        try {
            return new Measured(a.training().path("valid_loss").asDouble(), Trainer.validationLossByAddress(a, validation));
        } finally {
            a.network().close();
        }
    }

    /** Kish's effective number of the choices at {@code address}, over their number. */
    private static double effectiveFraction(List<SimulatedRun> runs, String address) {
        List<Double> w = new ArrayList<>();
        for (SimulatedRun r : runs) {
            for (int i = 0; i < r.choices().size(); i++) {
                if (r.choices().get(i).address().equals(address)) {
                    w.add(r.weights()[i]);
                }
            }
        }
        // An address met in validation runs only trained on nothing: no fraction to give, 0.
        return w.isEmpty() ? 0 : Planing.effectiveSize(w.stream().mapToDouble(Double::doubleValue).toArray()) / w.size();
    }

    /** The given runs as a source, served in order, for the same trainer that trains from models and datasets. */
    private static RunSource fixed(RunSource of, List<SimulatedRun> training, List<SimulatedRun> validation) {
        return new RunSource() {
            private int next;

            @Override
            public List<SimulatedRun> validation(int n) {
                return validation;
            }

            @Override
            public List<SimulatedRun> next(int n) {
                List<SimulatedRun> out = training.subList(next, Math.min(training.size(), next + n));
                next += out.size();
                return out;
            }

            @Override
            public String identity() {
                return of.identity();
            }

            @Override
            public String label() {
                return of.label();
            }

            @Override
            public String describe() {
                return of.describe();
            }

            @Override
            public int[] observationShape(String name) {
                return of.observationShape(name);
            }
        };
    }
}
