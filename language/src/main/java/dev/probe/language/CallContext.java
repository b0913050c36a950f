package dev.probe.language;

import java.util.concurrent.ConcurrentHashMap;

import dev.probe.runtime.model.Address;

/**
 * A chain of script call sites, such as {@code main@7:20}: the path by which a function was
 * reached. Contexts are interned per (parent, call site) and each caches the addresses of the
 * unnamed samples met under it, so an address costs two map look-ups, not string building. Shared
 * by the threads that run one script model.
 */
final class CallContext {

    static CallContext root() {
        return new CallContext("");
    }

    private final String chain;
    private final ConcurrentHashMap<Object, CallContext> children = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Object, Address> addresses = new ConcurrentHashMap<>();

    private CallContext(String chain) {
        this.chain = chain;
    }

    /** The context of a call made at {@code site} (a call node) inside function {@code caller}. */
    CallContext child(Object site, String caller, int line, int col) {
        CallContext c = children.get(site);
        if (c == null) {
            String link = caller + "@" + line + ":" + col;
            c = children.computeIfAbsent(site, k -> new CallContext(chain.isEmpty() ? link : link + "/" + chain));
        }
        return c;
    }

    /** The address of the unnamed sample at node {@code site}, in {@code function}, of distribution kind {@code kind}. */
    Address address(Nodes.SampleExpr site, String function, String kind) {
        Object key = site.kindKey(kind);
        Address a = addresses.get(key);
        if (a == null) {
            String here = function + "@" + site.line + ":" + site.col;
            a = addresses.computeIfAbsent(key, k -> Address.site(chain.isEmpty() ? here : here + "/" + chain, kind));
        }
        return a;
    }
}
