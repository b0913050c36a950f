package dev.probe.runtime.engine;

import dev.probe.runtime.trace.Trace;

/**
 * One run a {@link Runner} made: its trace (whole, or up to the observation it stopped at), the
 * importance correction of the choices it proposed, and whether it reached its end.
 *
 * @param trace        the choices and observations so far; its log weight is {@link #logWeight}
 * @param logCorrection the sum over the choices proposed in this run (not those replayed) of
 *                     log p - log q; 0 when all came from the prior
 * @param observations the observations met (named ones and those of fixed values; factors are not
 *                     observations, they add to the likelihood up to the next one)
 * @param finished     true when the model ran to its end; false when it stopped at its limit
 */
public record Run(Trace trace, double logCorrection, int observations, boolean finished) {

    /**
     * The run's log importance weight: its log likelihood plus {@link #logCorrection}. For a run
     * that replayed a prefix, the weight of the prefix's choices is the prefix's own business.
     */
    public double logWeight() {
        return trace.logLikelihood() + logCorrection;
    }
}
