package dev.probe.cli;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

import dev.probe.compiler.ShardedDataset;
import dev.probe.compiler.TraceDataset;
import dev.probe.language.ScriptLimitException;
import dev.probe.proposals.ArtifactException;
import dev.probe.runtime.InvalidSettingException;
import dev.probe.runtime.inference.RunException;
import dev.probe.runtime.model.MissingObservationException;

/**
 * Puts the libraries' errors in the command line's terms. The runtime, the language, the
 * compiler and the proposals describe a failure in their API's terms and as structured
 * exceptions (which observation, which run and seed, which setting); this turns each into the
 * flag that fixes it, walking the chain of causes of the exception the command ends with.
 */
final class FlagAdvice {

    /** The Java names of settings that a flag of this command gives, and the flag. */
    private static final Map<String, String> FLAGS = Map.of("traces", "--traces", "batchSize", "--batch-size",
            "learningRate", "--learning-rate", "validationSize", "--validation", "threads", "--threads",
            "checkpointEvery", "--checkpoint-every", "images", "--image", "device", "--device");

    private FlagAdvice() {
    }

    /**
     * The message of {@code ex} with every piece of API advice its chain of causes explains replaced
     * by a flag. Only the first line changes: later lines quote the user's source, which may hold
     * the same words.
     */
    static String message(Throwable ex) {
        String message = ex.getMessage() == null ? "" : ex.getMessage();
        int nl = message.indexOf('\n');
        int end = nl > 0 && message.charAt(nl - 1) == '\r' ? nl - 1 : nl;
        String first = end < 0 ? message : message.substring(0, end);
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = ex; t != null && seen.add(t); t = t.getCause()) {
            first = inFlags(t, first);
        }
        return end < 0 ? first : first + message.substring(end);
    }

    private static String inFlags(Throwable t, String message) {
        if (t instanceof MissingObservationException m) {
            return message.replace(MissingObservationException.fix(m.name()),
                    "give one with --observe " + m.name() + "=VALUE or in --observations FILE");
        }
        if (t instanceof RunException r) {
            return message.replace("(" + r.where() + ")", "(" + r.where() + "; rerun with --seed " + r.seed() + " to reproduce it)");
        }
        if (t instanceof ScriptLimitException l) {
            String flag = switch (l.limit()) {
                case STEPS -> "--max-steps";
                case DEPTH -> "--max-depth";
            };
            return message.replace(l.limit().setting(), flag);
        }
        if (t instanceof InvalidSettingException s && FLAGS.containsKey(s.setting()) && message.startsWith(s.setting() + " ")) {
            return FLAGS.get(s.setting()) + message.substring(s.setting().length());
        }
        if (t instanceof ArtifactException a) {
            return switch (a.problem()) {
                case NOT_A_NETWORK -> message + " (probe compile MODEL --out DIR trains one)";
                case OTHER_MODEL -> message + " with probe compile MODEL --out DIR";
                case UNREADABLE -> message;
            };
        }
        if (t instanceof IllegalArgumentException && message.endsWith(" " + TraceDataset.NOT_A_DATASET)) {
            return message + " (write one with probe compile MODEL --save-dataset FILE)";
        }
        if (t instanceof IllegalArgumentException && message.endsWith(" " + ShardedDataset.FIX)) {
            return message + " with probe compile MODEL --save-dataset DIR --shards N";
        }
        return message;
    }
}
