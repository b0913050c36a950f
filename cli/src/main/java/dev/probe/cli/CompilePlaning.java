package dev.probe.cli;

import java.io.PrintWriter;
import java.util.Locale;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.probe.compiler.Trainer;
import dev.probe.compiler.TrainingOptions;
import dev.probe.planing.ProposalStudy;

/** {@code probe compile MODEL --plane NAME}'s table, as text or JSON (docs/planing.md). */
final class CompilePlaning {

    private CompilePlaning() {
    }

    static void print(PrintWriter out, String model, TrainingOptions options, ProposalStudy.Result r, boolean json)
            throws JsonProcessingException {
        if (json) {
            out.println(Json.MAPPER.writeValueAsString(json(model, options, r)));
            out.flush();
            return;
        }
        out.printf(Locale.ROOT, "%s planed in %s (%d bins): two proposal networks, %,d training runs each, seed %d, %.1f s%n",
                model, r.feature(), r.featureBins(), r.traces(), options.seed(), r.seconds());
        out.printf(Locale.ROOT, "validation loss per choice (nats) on %,d validation runs ± standard error; raw: trained and"
                + " measured on the runs as simulated, planed: on the runs planed in %s against each latent%n", r.validation(),
                r.feature());
        int width = "latent".length();
        for (ProposalStudy.Latent l : r.latents()) {
            width = Math.max(width, l.address().length());
        }
        String format = "%-" + width + "s  %4s  %7s  %-17s  %-17s  %-17s  %s%n";
        out.printf(Locale.ROOT, format, "latent", "bins", "choices", "raw", "planed", "rise", "effective");
        for (ProposalStudy.Latent l : r.latents()) {
            out.printf(Locale.ROOT, format, l.address(), l.bins(), l.raw().choices(), loss(l.raw().loss(), l.raw().error()),
                    loss(l.planed().loss(), l.planed().error()), loss(l.rise(), l.riseError()),
                    String.format(Locale.ROOT, "%.0f%%", 100 * l.effective()));
        }
        out.printf(Locale.ROOT, "whole validation loss (nats per run): raw %.4f, planed %.4f%n", r.rawLoss(), r.planedLoss());
        out.flush();
    }

    private static String loss(double value, double error) {
        return String.format(Locale.ROOT, "%.4f ± %.4f", value, error);
    }

    private static ObjectNode json(String model, TrainingOptions options, ProposalStudy.Result r) {
        ObjectNode root = Json.NODES.objectNode();
        root.put("model", model);
        root.put("plane", r.feature());
        root.put("bins", r.featureBins());
        root.put("traces", r.traces());
        root.put("validation", r.validation());
        root.put("seed", options.seed());
        root.put("seconds", Math.round(r.seconds() * 100) / 100.0);
        root.put("raw_valid_loss", r.rawLoss());
        root.put("planed_valid_loss", r.planedLoss());
        ArrayNode list = root.putArray("latents");
        for (ProposalStudy.Latent l : r.latents()) {
            ObjectNode o = list.addObject();
            o.put("address", l.address());
            o.put("bins", l.bins());
            o.put("choices", l.raw().choices());
            o.set("raw", loss(l.raw()));
            o.set("planed", loss(l.planed()));
            o.put("rise", l.rise());
            o.put("rise_error", l.riseError());
            o.put("effective_training_fraction", l.effective());
        }
        return root;
    }

    private static ObjectNode loss(Trainer.AddressLoss a) {
        ObjectNode o = Json.NODES.objectNode();
        o.put("loss", a.loss());
        o.put("error", a.error());
        o.put("effective_choices", a.effective());
        return o;
    }
}
