package dev.probe.language;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import dev.probe.language.grammar.ProbeParser;
import dev.probe.language.grammar.ProbeVisitor;

/**
 * The compiler dispatches on the parse tree through ANTLR's generated visitor, one method per
 * alternative of the grammar's stmt and expr rules, instead of instanceof chains ending in a cast:
 * a new alternative is a compile error until the compiler handles it.
 */
class CompilerVisitorTest {

    private static Set<String> alternatives(Class<?> rule) {
        Set<String> names = new TreeSet<>();
        for (Class<?> c : ProbeParser.class.getDeclaredClasses()) {
            if (c.getSuperclass() == rule) {
                names.add("visit" + c.getSimpleName().replace("Context", ""));
            }
        }
        return names;
    }

    private static Set<String> handled(String visitor) throws ClassNotFoundException {
        Class<?> c = Class.forName(Compiler.class.getName() + "$" + visitor);
        assertTrue(ProbeVisitor.class.isAssignableFrom(c), visitor + " is an ANTLR visitor");
        Set<String> names = new TreeSet<>();
        for (Method m : c.getDeclaredMethods()) {
            if (m.getName().startsWith("visit") && !m.isSynthetic() && !m.isBridge()) {
                names.add(m.getName());
            }
        }
        return names;
    }

    @Test
    void everyStatementAndExpressionAlternativeHasItsOwnMethod() throws ClassNotFoundException {
        Set<String> statements = alternatives(ProbeParser.StmtContext.class);
        Set<String> expressions = alternatives(ProbeParser.ExprContext.class);
        assertEquals(13, statements.size(), statements.toString());
        assertEquals(18, expressions.size(), expressions.toString());
        assertEquals(statements, handled("Statements"));
        assertEquals(expressions, handled("Expressions"));
    }
}
