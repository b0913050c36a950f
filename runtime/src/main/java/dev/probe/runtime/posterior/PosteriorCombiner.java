package dev.probe.runtime.posterior;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import dev.probe.runtime.distribution.LogSum;

/** Pools several posteriors of one model into one. */
final class PosteriorCombiner {

    private PosteriorCombiner() {
    }

    static Posterior combine(List<Posterior> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("combine: give at least one posterior");
        }
        boolean mh = parts.get(0).rawChains() != null;
        String model = parts.get(0).info().get("model");
        Provenance first = parts.get(0).provenance();
        for (Posterior p : parts) {
            String reweighted = p.info().get(Posterior.REWEIGHTED);
            if (reweighted != null) {
                // Their weights are no longer the engine's, and the pooled evidence and diagnostics would mix the two.
                throw new IllegalArgumentException("combine: a posterior whose weights were reweighted (" + reweighted
                        + ") cannot be pooled: pool the raw runs, then reweight the whole");
            }
            if ((p.rawChains() != null) != mh) {
                throw new IllegalArgumentException("combine: cannot pool Metropolis-Hastings samples with weighted runs");
            }
            String m = p.info().get("model");
            if (model != null && m != null && !model.equals(m)) {
                throw new IllegalArgumentException("combine: the posteriors are of different models, " + model + " and " + m);
            }
            first.requireCompatible(p.provenance());
        }
        int n = 0;
        for (Posterior p : parts) {
            n += p.size();
        }
        double[] logWeights = new double[n];
        List<Integer> chainList = new ArrayList<>();
        int offset = 0;
        for (Posterior p : parts) {
            System.arraycopy(p.rawLogWeights(), 0, logWeights, offset, p.size());
            if (mh) {
                for (int c : p.rawChains()) {
                    chainList.add(c);
                }
            }
            offset += p.size();
        }
        double logEvidence = Double.NaN;
        if (!mh && parts.stream().allMatch(p -> p.logEvidence().isPresent())) {
            logEvidence = LogSum.of(logWeights) - Math.log(n);
        }
        Map<String, ColumnData> named = pool(parts, Posterior::namedColumns, n);
        Map<String, ColumnData> byAddress = pool(parts, Posterior::addressColumns, n);
        ColumnData result = null;
        if (parts.stream().anyMatch(Posterior::hasResult)) {
            result = new ColumnData(n);
            offset = 0;
            for (Posterior p : parts) {
                if (p.resultColumn() != null) {
                    result.copyFrom(p.resultColumn(), offset);
                }
                offset += p.size();
            }
        }
        Map<String, String> info = new LinkedHashMap<>(parts.get(0).info());
        info.put("combined", parts.size() + " posteriors");
        info.put("traces", Integer.toString(n));
        int[] chains = mh ? chainList.stream().mapToInt(Integer::intValue).toArray() : null;
        return new Posterior(logWeights, named, byAddress, result, logEvidence, chains, info, null);
    }

    private static Map<String, ColumnData> pool(List<Posterior> parts, Function<Posterior, Map<String, ColumnData>> section, int n) {
        Set<String> keys = new LinkedHashSet<>();
        for (Posterior p : parts) {
            keys.addAll(section.apply(p).keySet());
        }
        Map<String, ColumnData> out = new LinkedHashMap<>();
        for (String key : keys) {
            ColumnData c = new ColumnData(n);
            int offset = 0;
            for (Posterior p : parts) {
                ColumnData part = section.apply(p).get(key);
                if (part != null && part.kind() != null) {
                    c.copyFrom(part, offset);
                }
                offset += p.size();
            }
            out.put(key, c);
        }
        return out;
    }
}
