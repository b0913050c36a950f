package dev.probe.runtime.model;

/**
 * Where a random choice is in a program: its name, or for an unnamed choice the chain of call
 * sites that led to it together with the distribution's kind, e.g. {@code fib@3:14/main@7:20#Poisson}.
 * Two runs that take the same path give the same addresses; the k-th occurrence of an address in
 * one run is instance k. Addresses are interned by their sources, so equal addresses are usually
 * the same object and compare fast.
 */
public final class Address implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    private final String key;
    private final boolean named;
    private final int hash;

    private Address(String key, boolean named) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("an address must not be empty");
        }
        this.key = key;
        this.named = named;
        this.hash = key.hashCode() * 31 + (named ? 1 : 0);
    }

    /** The address of a named choice. */
    public static Address named(String name) {
        return new Address(name, true);
    }

    /** The address of an unnamed choice: its call-site chain and its distribution's kind. */
    public static Address site(String callSites, String kind) {
        return new Address(callSites + "#" + kind, false);
    }

    /** The name, or the call-site chain and kind. */
    public String key() {
        return key;
    }

    /** Whether the user named this choice. */
    public boolean isNamed() {
        return named;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Address)) {
            return false;
        }
        Address a = (Address) o;
        return hash == a.hash && named == a.named && key.equals(a.key);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return key;
    }
}
