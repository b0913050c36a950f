package dev.probe.proposals;

import dev.probe.runtime.distribution.Binomial;
import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.distribution.Support;

/**
 * One controlled random choice as a network sees it: its address, its prior's kind, the head that
 * proposes it, the prior's parameters that head works relative to, the value taken and that value
 * as the next step's input feature. Training data (online or from a dataset) and inference both
 * reduce a choice to this, so they cannot disagree.
 *
 * <p>{@code prior} holds, by head: NORMAL {m, s}; TRUNCATED {m, s, low, high}; BERNOULLI {logit p};
 * CATEGORICAL the log probabilities; POISSON {rate}; BINOMIAL {n, logit p}. For the real heads
 * (m, s) is the prior's mean and standard deviation, the frame the network's outputs live in.
 *
 * @param address the address's key
 * @param kind    the prior's kind
 * @param head    the head that proposes it
 * @param prior   the prior's parameters, as above
 * @param value   the value taken (booleans as 0 and 1)
 * @param feature the value as an input feature: standardised by the prior, clipped to [-10, 10]
 */
public record Choice(String address, String kind, Head head, double[] prior, double value, double feature) {

    /** Probabilities are kept this far from 0 and 1 so that proposals keep the prior's support. */
    static final double EDGE = 1e-6;

    /** The choice, or null where no head proposes its prior. */
    public static Choice of(String address, Distribution<?> prior, Object value, int maxCategories) {
        Head head = Head.of(prior, maxCategories);
        if (head == null) {
            return null;
        }
        double v = numeric(value);
        double[] frame = frame(prior);
        return new Choice(address, prior.kind(), head, parameters(head, prior, frame), v, feature(frame, v));
    }

    /** The parameters of {@code prior} that {@code head} works relative to; {@code f} is its {@link #frame}. */
    static double[] parameters(Head head, Distribution<?> prior, double[] f) {
        switch (head) {
            case NORMAL:
                return new double[] {f[0], f[1]};
            case TRUNCATED: {
                Support s = prior.support();
                return new double[] {f[0], f[1], s.lower(), s.upper()};
            }
            case BERNOULLI:
                // A Bernoulli's mean is its p; a mixture of Bernoullis' is the probability of true.
                return new double[] {logit(prior.mean())};
            case CATEGORICAL: {
                double[] p = ((Categorical) prior).probabilities();
                double[] lp = new double[p.length];
                for (int i = 0; i < p.length; i++) {
                    lp[i] = Math.log(p[i]);
                }
                return lp;
            }
            case POISSON:
                return new double[] {prior instanceof Poisson ? ((Poisson) prior).rate() : Math.max(prior.mean(), EDGE)};
            case BINOMIAL: {
                Binomial b = (Binomial) prior;
                return new double[] {b.n(), logit(b.p())};
            }
            default:
                throw new IllegalStateException(head.toString());
        }
    }

    /**
     * The prior's mean and standard deviation where finite; for an interval without them its
     * middle and half width; otherwise 0 and 1.
     */
    static double[] frame(Distribution<?> prior) {
        double m;
        double v;
        try {
            m = prior.mean();
            v = prior.variance();
        } catch (UnsupportedOperationException e) {
            m = Double.NaN;
            v = Double.NaN;
        }
        if (Double.isFinite(m) && Double.isFinite(v) && v > 0) {
            return new double[] {m, Math.sqrt(v)};
        }
        Support s = prior.support();
        if (Double.isFinite(s.lower()) && Double.isFinite(s.upper())) {
            return new double[] {(s.lower() + s.upper()) / 2, (s.upper() - s.lower()) / 2};
        }
        return new double[] {Double.isFinite(m) ? m : 0, 1};
    }

    /** A value as a number: booleans are 0 and 1. */
    static double numeric(Object value) {
        if (value instanceof Boolean) {
            return (Boolean) value ? 1 : 0;
        }
        return ((Number) value).doubleValue();
    }

    /** The value standardised by its prior's {@link #frame}, clipped: the next step's input. */
    static double feature(double[] f, double value) {
        double z = (value - f[0]) / f[1];
        return Math.max(-10, Math.min(10, z));
    }

    static double logit(double p) {
        double q = Math.min(1 - EDGE, Math.max(EDGE, p));
        return Math.log(q / (1 - q));
    }
}
