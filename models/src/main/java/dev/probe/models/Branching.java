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

    /** fib(0) = fib(1) = 1, recursive as in the script of LANGUAGE.md (the twins do the same work). */
    static long fib(long n) {
        if (n < 2) {
            return 1;
        }
        return fib(n - 1) + fib(n - 2);
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
