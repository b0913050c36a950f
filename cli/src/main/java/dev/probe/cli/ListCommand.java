package dev.probe.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

import dev.probe.models.BuiltinModel;
import dev.probe.models.Builtins;
import picocli.CommandLine.Command;

/** {@code probe list}: the built-in models, one line each. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "The built-in models, one line each.")
final class ListCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        int width = 0;
        for (BuiltinModel m : Builtins.all()) {
            width = Math.max(width, m.name().length() + "builtin:".length());
        }
        for (BuiltinModel m : Builtins.all()) {
            out.printf("%-" + width + "s  %s%n", "builtin:" + m.name(), m.description());
        }
        out.flush();
        return ExitCode.OK;
    }
}
