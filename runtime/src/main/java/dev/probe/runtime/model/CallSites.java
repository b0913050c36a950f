package dev.probe.runtime.model;

import java.lang.StackWalker.StackFrame;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

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

    private static final StackWalker WALKER = StackWalker.getInstance(
            EnumSet.of(StackWalker.Option.RETAIN_CLASS_REFERENCE));

    private final Predicate<Class<?>> isEngineFrame;
    private final ConcurrentHashMap<ChainKey, Address> cache = new ConcurrentHashMap<>();

    /** A cache whose chains stop at the frames of classes that {@code isEngineFrame} accepts. */
    public CallSites(Predicate<Class<?>> isEngineFrame) {
        this.isEngineFrame = isEngineFrame;
    }

    /** The address of the unnamed sample being made by the current thread. */
    public Address current(String kind) {
        Object[] frames = WALKER.walk(s -> s
                .dropWhile(f -> isEngineFrame.test(f.getDeclaringClass()) || f.getDeclaringClass() == CallSites.class)
                .takeWhile(f -> !isEngineFrame.test(f.getDeclaringClass()))
                .map(FrameKey::new)
                .toArray());
        ChainKey key = new ChainKey(frames, kind);
        Address a = cache.get(key);
        if (a == null) {
            String chain = Arrays.stream(frames).map(Object::toString).collect(Collectors.joining("/"));
            a = cache.computeIfAbsent(key, k -> Address.site(chain.isEmpty() ? "model" : chain, kind));
        }
        return a;
    }

    /** The number of distinct call-site chains seen. */
    public int size() {
        return cache.size();
    }

    /** One frame, compared by class, method and bytecode index. */
    private static final class FrameKey {
        private final Class<?> type;
        private final String method;
        private final int bci;
        private final int line;

        FrameKey(StackFrame f) {
            type = f.getDeclaringClass();
            method = f.getMethodName();
            bci = f.getByteCodeIndex();
            line = f.getLineNumber();
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
            return type.getSimpleName() + "." + method + "@" + line + ":" + bci;
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
