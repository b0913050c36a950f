package dev.probe.language;

import java.util.ArrayList;
import java.util.Collection;

/** A script array: mutable, shared by reference, holding any values. */
final class PArray extends ArrayList<Object> {

    private static final long serialVersionUID = 1L;

    PArray(int capacity) {
        super(capacity);
    }

    PArray(Collection<?> items) {
        super(items);
    }
}
