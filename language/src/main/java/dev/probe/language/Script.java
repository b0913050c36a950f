package dev.probe.language;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;

import dev.probe.language.grammar.ProbeLexer;
import dev.probe.language.grammar.ProbeParser;
import dev.probe.runtime.model.Model;

/**
 * A parsed and checked model script. {@link #parse} reports every syntax error, or else every
 * static error, at once; {@link #model} gives a runtime model that every engine runs.
 */
public final class Script {

    /** Statements one run may execute before it is stopped. */
    public static final long DEFAULT_MAX_STEPS = 10_000_000L;
    /** How deeply calls may nest. */
    public static final int DEFAULT_MAX_DEPTH = 1_000;

    private final SourceText source;
    private final Compiler.Program program;

    private Script(SourceText source, Compiler.Program program) {
        this.source = source;
        this.program = program;
    }

    /** Reads and checks the script at {@code path}. */
    public static Script load(Path path) throws IOException {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new java.nio.charset.CharacterCodingException() {
                private static final long serialVersionUID = 1L;

                @Override
                public String getMessage() {
                    return path + " is not UTF-8 text (a script is a UTF-8 text file)";
                }
            };
        }
        return parse(SourceText.of(path.toString(), text));
    }

    /**
     * Parses and checks a script.
     *
     * @throws ScriptException listing every error with its place
     */
    public static Script parse(SourceText source) {
        List<Diagnostic> syntax = new ArrayList<>();
        BaseErrorListener listener = new BaseErrorListener() {
            @Override
            public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg,
                    RecognitionException e) {
                syntax.add(new Diagnostic(line, col + 1, syntaxMessage(offending, msg)));
            }
        };
        ProbeLexer lexer = new ProbeLexer(CharStreams.fromString(source.text(), source.name()));
        lexer.removeErrorListeners();
        lexer.addErrorListener(listener);
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        Diagnostic tooDeep = bracketsTooDeep(tokens.getTokens());
        if (tooDeep != null) {
            throw new ScriptException(source, List.of(tooDeep));
        }
        ProbeParser parser = new ProbeParser(tokens);
        parser.removeErrorListeners();
        parser.addErrorListener(listener);
        ProbeParser.ProgramContext tree = parser.program();
        if (!syntax.isEmpty()) {
            throw new ScriptException(source, syntax);
        }
        tooDeep = treeTooDeep(tree);
        if (tooDeep != null) {
            throw new ScriptException(source, List.of(tooDeep));
        }
        Compiler compiler = new Compiler();
        Compiler.Program program = compiler.compile(tree);
        if (!compiler.errors().isEmpty()) {
            throw new ScriptException(source, compiler.errors());
        }
        return new Script(source, program);
    }

    /**
     * How deeply a script's syntax may nest (brackets, or operators chained in one expression): the
     * parser, the checker and the interpreter recurse once per level, and a Java thread's stack
     * holds a few thousand levels; real scripts stay far below.
     */
    static final int MAX_NESTING = 400;

    /** An error at the first bracket nested more than {@link #MAX_NESTING} deep, or null. */
    private static Diagnostic bracketsTooDeep(List<Token> tokens) {
        int depth = 0;
        for (Token t : tokens) {
            String text = t.getText();
            if (text.equals("(") || text.equals("[") || text.equals("{")) {
                if (++depth > MAX_NESTING) {
                    return new Diagnostic(t.getLine(), t.getCharPositionInLine() + 1, "brackets nested more than " + MAX_NESTING
                            + " deep: name the inner parts with let");
                }
            } else if (text.equals(")") || text.equals("]") || text.equals("}")) {
                depth = Math.max(0, depth - 1);
            }
        }
        return null;
    }

    /** An error at the first place the syntax tree is deeper than the parser's few levels per bracket allow, or null. */
    private static Diagnostic treeTooDeep(org.antlr.v4.runtime.tree.ParseTree root) {
        // Walked with a stack of its own: the tree may be too deep for recursion, which is the point.
        int limit = MAX_NESTING * 4;
        java.util.ArrayDeque<Object[]> todo = new java.util.ArrayDeque<>();
        todo.push(new Object[] {root, 0});
        while (!todo.isEmpty()) {
            Object[] top = todo.pop();
            org.antlr.v4.runtime.tree.ParseTree node = (org.antlr.v4.runtime.tree.ParseTree) top[0];
            int depth = (Integer) top[1];
            if (depth > limit && node instanceof org.antlr.v4.runtime.ParserRuleContext) {
                Token at = ((org.antlr.v4.runtime.ParserRuleContext) node).getStart();
                return new Diagnostic(at.getLine(), at.getCharPositionInLine() + 1, "an expression or block nested too deeply"
                        + " (over " + limit + " levels of syntax, e.g. thousands of terms in one sum): name parts with let");
            }
            for (int i = 0; i < node.getChildCount(); i++) {
                todo.push(new Object[] {node.getChild(i), depth + 1});
            }
        }
        return null;
    }

    private static String syntaxMessage(Object offending, String antlrMessage) {
        if (offending instanceof Token) {
            Token t = (Token) offending;
            if (t.getType() == ProbeLexer.UNEXPECTED) {
                return "unexpected character '" + t.getText() + "'"
                        + (t.getText().equals("\"") ? " (a string that is not closed on its line?)" : "");
            }
        }
        // ANTLR's own words, made a little plainer.
        return "syntax error: " + antlrMessage.replace("<EOF>", "the end of the file")
                .replace("extraneous input", "unexpected").replace("mismatched input", "unexpected")
                .replace("no viable alternative at input", "cannot read");
    }

    /** The script's name (its path) and text. */
    public SourceText source() {
        return source;
    }

    /** The names of the script's params, with their declared order. */
    public List<String> params() {
        return new ArrayList<>(program.params.keySet());
    }

    /** The model with default params and limits. */
    public Model model() {
        return model(Map.of(), DEFAULT_MAX_STEPS, DEFAULT_MAX_DEPTH);
    }

    /**
     * The model with some params overridden and run limits.
     *
     * @throws IllegalArgumentException naming a param the script does not declare
     */
    public Model model(Map<String, ?> params, long maxSteps, int maxDepth) {
        Map<Integer, Object> overrides = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : params.entrySet()) {
            Integer slot = program.params.get(e.getKey());
            if (slot == null) {
                throw new IllegalArgumentException(source.name() + " has no param '" + e.getKey() + "'"
                        + (program.params.isEmpty() ? "; it declares none" : "; it declares " + String.join(", ", program.params.keySet())));
            }
            overrides.put(slot, e.getValue());
        }
        if (maxSteps <= 0 || maxDepth <= 0) {
            throw new IllegalArgumentException("the step and depth limits must be positive");
        }
        return new ScriptModel(source, program, overrides, maxSteps, maxDepth);
    }
}
