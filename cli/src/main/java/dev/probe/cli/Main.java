package dev.probe.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;

import dev.probe.runtime.ProbeException;
import dev.probe.runtime.SimulatorException;
import dev.probe.runtime.model.ModelException;
import dev.probe.runtime.posterior.PosteriorFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code probe} command: see ../shared/spec/CLI.md and docs/cli.md. */
@Command(name = "probe", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Probe: probabilistic programming for instrumented simulators.",
        subcommands = {InferCommand.class, SampleCommand.class, CheckCommand.class, CompileCommand.class, PlaneCommand.class, ListCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @picocli.CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is missing");
    }

    private static final java.util.regex.Pattern PLACE = java.util.regex.Pattern.compile("\\S+:\\d+:\\d+: ");

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        int code;
        try {
            code = run(args, out, System.err);
        } catch (OutOfMemoryError e) {
            System.err.println("probe: out of memory; give Java more with PROBE_JAVA_OPTS=-Xmx16g (for example),"
                    + " or ask for fewer traces");
            code = ExitCode.OTHER;
        } catch (Error e) {
            System.err.println("probe: internal error (" + e + "); a broken installation? Rebuild with"
                    + " 'mvn -DskipTests install' and report it with the output of --debug if it stays");
            if (java.util.Arrays.asList(args).contains("--debug")) {
                e.printStackTrace();
            }
            code = ExitCode.OTHER;
        }
        System.exit(code);
    }

    /** Runs the command with the given streams and returns its exit code (for tests and embedding). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("probe: " + ex.getMessage());
            CommandLine c = ex.getCommandLine();
            err.println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            return ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> handle(ex, err, debug));
        for (CommandLine sub : cl.getSubcommands().values()) {
            sub.setOut(cl.getOut());
            sub.setErr(cl.getErr());
        }
        return cl.execute(args);
    }

    private static int handle(Exception ex, PrintStream err, boolean debug) {
        int code;
        String message = ex.getMessage();
        if (ex instanceof UsageException || ex instanceof PosteriorFormatException) {
            code = ExitCode.USAGE;
        } else if (ex instanceof NoSuchFileException) {
            code = ExitCode.USAGE;
            message = "no such file: " + ex.getMessage();
        } else if (ex instanceof SimulatorException) {
            code = ExitCode.SIMULATOR;
        } else if (ex instanceof ModelException) {
            code = ExitCode.MODEL;
            // A script's errors start with their place (file:line:col:); others get a word of context.
            if (!PLACE.matcher(message).lookingAt()) {
                message = "error in the model: " + message;
            }
        } else if (ex instanceof ProbeException) {
            code = ExitCode.OTHER;
        } else if (ex instanceof java.io.IOException) {
            code = ExitCode.OTHER;
            message = "input/output error: " + message;
        } else {
            code = ExitCode.OTHER;
            message = "internal error (" + ex.getClass().getSimpleName() + (message == null ? "" : ": " + message)
                    + "); please report it with the output of --debug";
        }
        err.println("probe: " + message);
        if (debug) {
            ex.printStackTrace(err);
        }
        return code;
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"probe " + (v == null ? "(development build)" : v)};
        }
    }
}
