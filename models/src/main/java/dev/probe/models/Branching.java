package dev.probe.models;

import dev.probe.runtime.distribution.Poisson;
import dev.probe.runtime.model.Context;
import dev.probe.runtime.model.Model;

/**
 * The branching model of LANGUAGE.md: r ~ Poisson(4); if r &gt; 4 the rate is 6, otherwise it is
 * 1 + fib(3r) plus an unnamed Poisson(4) draw; obs ~ Poisson(rate). The number of random choices
 * changes from run to run; the posterior of r is known by enumeration.
 */
public final class Branching implements Model {

    /** fib(0) = fib(1) = 1, as in the script. */
    static long fib(long n) {
        long a = 1;
        long b = 1;
        for (long i = 1; i < n; i++) {
            long t = a + b;
            a = b;
            b = t;
        }
        return b;
    }

    @Override
    public Object run(Context ctx) {
        long r = ctx.sample(Poisson.of(4), "r");
        long l;
        if (4 < r) {
            l = 6;
        } else {
            l = 1 + fib(3 * r) + ctx.sample(Poisson.of(4));
        }
        ctx.observe(Poisson.of(l), "obs");
        return r;
    }
}
