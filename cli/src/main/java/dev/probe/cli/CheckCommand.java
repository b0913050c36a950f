package dev.probe.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import dev.probe.language.Script;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code probe check FILE.ppl}: parses and checks a script without running it. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Parses and checks a script without running it; exit 0 when clean.")
final class CheckCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The script (.ppl).")
    Path file;

    @Option(names = "--debug", description = "Stack traces with errors.")
    boolean debug;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new UsageException("no such script: " + file);
        }
        Script script;
        try {
            script = Script.load(file);
        } catch (java.nio.charset.CharacterCodingException | java.nio.file.AccessDeniedException e) {
            throw new UsageException("cannot read " + file + ": " + (e instanceof java.nio.file.AccessDeniedException
                    ? "permission denied" : e.getMessage()), e);
        }
        spec.commandLine().getOut().println(file + ": ok" + (script.params().isEmpty() ? "" : " (params: "
                + String.join(", ", script.params()) + ")"));
        spec.commandLine().getOut().flush();
        return ExitCode.OK;
    }
}
