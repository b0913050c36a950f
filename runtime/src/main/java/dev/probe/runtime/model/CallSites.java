package dev.probe.runtime.model;

import java.lang.StackWalker.StackFrame;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Addresses for unnamed samples in Java models, from their call sites.
 *
 * <p>The address is the chain of the model's own frames, innermost first, each as
 * {@code Class.method@line:bytecodeIndex}, followed by the distribution's kind. The frames between
 * the model's call and the engine are found by {@code isEngineFrame}: every frame of the engine's
 * context class is skipped at the top and ends the chain at the bottom. Walking the stack is the
 * cost (about a microsecond); the strings and {@link Address} objects are built once per distinct
 * chain and kept in this cache, which belongs to one inference, not to the JVM.
 */
public final class CallSites {

    /** The depth hint sizes the walker's first batch: a model's frames and a few of the engine's. */
    private static final StackWalker WALKER = StackWalker.getInstance(
            EnumSet.of(StackWalker.Option.RETAIN_CLASS_REFERENCE), 8);

    private final Predicate<Class<?>> isEngineFrame;
    private final ConcurrentHashMap<ChainKey, Address> cache = new ConcurrentHashMap<>();

    /** A cache whose chains stop at the frames of classes that {@code isEngineFrame} accepts. */
    public CallSites(Predicate<Class<?>> isEngineFrame) {
        this.isEngineFrame = isEngineFrame;
    }

    /** The address of the unnamed sample being made by the current thread. */
    public Address current(String kind) {
        Object[] frames = WALKER.walk(this::modelFrames);
        ChainKey key = new ChainKey(frames, kind);
        Address a = cache.get(key);
        if (a == null) {
            String chain = Arrays.stream(frames).map(Object::toString).collect(Collectors.joining("/"));
            a = cache.computeIfAbsent(key, k -> Address.site(chain.isEmpty() ? "model" : chain, kind));
        }
        return a;
    }

    /** The frames between the engine's context and the engine: the model's own, innermost first. */
    private Object[] modelFrames(Stream<StackFrame> stack) {
        Object[] out = new Object[4];
        int n = 0;
        boolean inModel = false;
        for (Iterator<StackFrame> it = stack.iterator(); it.hasNext();) {
            StackFrame f = it.next();
            Class<?> c = f.getDeclaringClass();
            if (c == NamedModel.class) {
                continue;
            }
            boolean engine = c == CallSites.class || isEngineFrame.test(c);
            if (!inModel) {
                inModel = !engine;
            } else if (engine) {
                break;
            }
            if (inModel) {
                if (n == out.length) {
                    out = Arrays.copyOf(out, 2 * n);
                }
                out[n++] = new FrameKey(f);
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** The number of distinct call-site chains seen. */
    public int size() {
        return cache.size();
    }

    /**
     * One frame, compared by class, method and bytecode index. The line number is looked up only
     * when the address string is built, on a cache miss: resolving it is the costly part of a walk.
     */
    private static final class FrameKey {
        private final Class<?> type;
        private final String method;
        private final int bci;
        private final StackFrame frame;

        FrameKey(StackFrame f) {
            type = f.getDeclaringClass();
            method = f.getMethodName();
            bci = f.getByteCodeIndex();
            frame = f;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof FrameKey)) {
                return false;
            }
            FrameKey k = (FrameKey) o;
            return type == k.type && bci == k.bci && method.equals(k.method);
        }

        @Override
        public int hashCode() {
            return (System.identityHashCode(type) * 31 + method.hashCode()) * 31 + bci;
        }

        @Override
        public String toString() {
            return type.getSimpleName() + "." + method + "@" + frame.getLineNumber() + ":" + bci;
        }
    }

    private static final class ChainKey {
        private final Object[] frames;
        private final String kind;
        private final int hash;

        ChainKey(Object[] frames, String kind) {
            this.frames = frames;
            this.kind = kind;
            this.hash = Arrays.hashCode(frames) * 31 + kind.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof ChainKey)) {
                return false;
            }
            ChainKey k = (ChainKey) o;
            return hash == k.hash && kind.equals(k.kind) && Arrays.equals(frames, k.frames);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
