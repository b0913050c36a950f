package dev.probe.runtime.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;

import org.apache.commons.rng.core.source64.XoRoShiRo128PlusPlus;
import org.junit.jupiter.api.Test;

import dev.probe.runtime.distribution.Binomial;
import dev.probe.runtime.distribution.Categorical;
import dev.probe.runtime.distribution.Distribution;
import dev.probe.runtime.distribution.Mixture;
import dev.probe.runtime.distribution.Normal;
import dev.probe.runtime.distribution.TruncatedNormal;
import dev.probe.runtime.model.Address;

/**
 * A trace read back in another process is the same trace: values, densities and the draws of its
 * distributions, to the last bit, including those whose helpers are rebuilt rather than sent.
 */
class TraceSerializationTest {

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void aTraceTravelsWhole() throws Exception {
        List<Distribution<?>> kinds = List.of(Normal.of(1, 2), Binomial.of(40, 0.3), TruncatedNormal.of(0, 1, -0.5, 2),
                Categorical.of(0.2, 0.5, 0.3), Mixture.of(new double[] {0.4, 0.6}, List.of(Normal.of(-1, 1), Normal.of(3, 0.5))));
        Variable[] vars = new Variable[kinds.size() + 1];
        for (int i = 0; i < kinds.size(); i++) {
            Distribution<?> d = kinds.get(i);
            Object v = d.sample(new XoRoShiRo128PlusPlus(7, i));
            vars[i] = new Variable(Address.named("x" + i), 0, "x" + i, Variable.Role.SAMPLE, d, v, d.logProbOf(v), true);
        }
        vars[kinds.size()] = new Variable(Address.site("main@3:1", "Normal"), 2, null, Variable.Role.OBSERVE, Normal.of(0, 1),
                new double[] {0.5, 1.5}, -1.25, false);
        Trace t = new Trace(vars, -3.5, -1.25, 0.75, List.of(1L, "done"));
        Trace back = roundTrip(t);
        assertEquals(t.logPrior(), back.logPrior());
        assertEquals(t.logLikelihood(), back.logLikelihood());
        assertEquals(t.logWeight(), back.logWeight());
        assertEquals(t.result(), back.result());
        assertEquals(t.size(), back.size());
        for (int i = 0; i < t.size(); i++) {
            Variable a = t.get(i);
            Variable b = back.get(i);
            assertEquals(a.address(), b.address());
            assertEquals(a.instance(), b.instance());
            assertEquals(a.name(), b.name());
            assertEquals(a.role(), b.role());
            assertEquals(a.logProb(), b.logProb());
            assertEquals(a.controlled(), b.controlled());
            assertEquals(a.distribution().kind(), b.distribution().kind());
            if (a.value() instanceof double[] arr) {
                assertArrayEquals(arr, (double[]) b.value());
                continue;
            }
            assertEquals(a.value(), b.value());
            // The same density and the same draws: a distribution read back is the one sent.
            assertEquals(a.distribution().logProbOf(a.value()), b.distribution().logProbOf(a.value()));
            for (int k = 0; k < 5; k++) {
                assertEquals(a.distribution().sample(new XoRoShiRo128PlusPlus(11, k)),
                        b.distribution().sample(new XoRoShiRo128PlusPlus(11, k)), a.distribution().kind());
            }
        }
    }
}
