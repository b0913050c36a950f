package dev.probe.language;

import java.util.Map;

import dev.probe.runtime.inference.Inference;
import dev.probe.runtime.model.Model;
import dev.probe.runtime.trace.Trace;

/** Helpers to run scripts in tests. */
final class Scripts {

    private Scripts() {
    }

    static Script parse(String text) {
        return Script.parse(SourceText.of("test.ppl", text));
    }

    static Model model(String text) {
        return parse(text).model();
    }

    /** One run from the prior (observations simulated), seed 1. */
    static Trace run(String text) {
        return run(parse(text).model(), Map.of());
    }

    static Trace run(Model model, Map<String, ?> observations) {
        return Inference.prior(model).observations(observations).traces(1).seed(1).keepTraces(true).threads(1)
                .run().traces().get(0);
    }

    /** The result of one run of {@code text}. */
    static Object result(String text) {
        return run(text).result();
    }
}
