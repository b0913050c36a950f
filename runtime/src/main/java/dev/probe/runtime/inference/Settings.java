package dev.probe.runtime.inference;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.probe.runtime.model.Model;

/**
 * Everything an inference depends on, fixed when {@link Inference#run} is called. Immutable.
 *
 * @param model          the program
 * @param observations   the values given for named observations
 * @param traces         runs (for Metropolis-Hastings: kept samples, over all chains)
 * @param seed           the root seed; the result depends on it alone
 * @param threads        worker threads (never changes the result)
 * @param proposal       importance sampling's proposal
 * @param burnIn         Metropolis-Hastings steps dropped at the start of each chain (-1: the default)
 * @param thin           Metropolis-Hastings: keep every thin-th step
 * @param chains         Metropolis-Hastings chains (independent, run in parallel)
 * @param keepTraces     keep every whole trace in the posterior
 * @param recordAddresses keep columns for unnamed samples, by address
 * @param progress       told how far the work has come
 * @param modelLabel     how reports name the model (a file name, builtin:NAME)
 */
public record Settings(Model model, Observations observations, int traces, long seed, int threads, Proposal proposal,
        int burnIn, int thin, int chains, boolean keepTraces, boolean recordAddresses, ProgressListener progress,
        String modelLabel) {

    /** The provenance every posterior records. */
    Map<String, String> provenance(String engine) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("model", modelLabel);
        info.put("engine", engine);
        info.put("seed", Long.toString(seed));
        info.put("traces", Integer.toString(traces));
        info.put("observations", observations.asMap().keySet().toString());
        return info;
    }
}
