package dev.probe.runtime.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Makes an engine by name: the plug-in point through which {@code probe infer --engine NAME}
 * finds engines, like {@link dev.probe.runtime.model.ModelSource} for models. A provider is
 * listed in {@code META-INF/services/dev.probe.runtime.engine.EngineProvider} of its jar.
 */
public interface EngineProvider {

    /** The engine's name on the command line. */
    String name();

    /** One line for the list of engines. */
    String description();

    /**
     * The engine-specific command-line options this engine reads ({@code --chains}, {@code --network}),
     * so that the command line can refuse others. Empty by default.
     */
    default Set<String> options() {
        return Set.of();
    }

    /**
     * The engine, with its options read from {@code arguments}.
     *
     * @throws IllegalArgumentException naming the option and the fix, for a missing or bad option
     */
    Engine create(EngineArguments arguments);

    /** Every provider on the class path, by name. */
    static List<EngineProvider> installed() {
        List<EngineProvider> out = new ArrayList<>();
        ServiceLoader.load(EngineProvider.class).forEach(out::add);
        out.sort(Comparator.comparing(EngineProvider::name));
        return out;
    }

    /** The provider of the engine called {@code name}, if one is installed. */
    static Optional<EngineProvider> find(String name) {
        return installed().stream().filter(p -> p.name().equals(name)).findFirst();
    }
}
