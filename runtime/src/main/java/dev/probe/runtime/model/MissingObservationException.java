package dev.probe.runtime.model;

/**
 * An observation the model makes under an engine that conditions, with no value given for it.
 * The message gives the fix in the Java API's terms; front ends put it in their own from {@link #name()}.
 */
public class MissingObservationException extends ModelException {

    private static final long serialVersionUID = 1L;

    private final String name;

    public MissingObservationException(String name) {
        super("no value was given for observation '" + name + "': " + fix(name));
        this.name = name;
    }

    /** With why the value is needed, e.g. "the network was trained with it". */
    public MissingObservationException(String name, String why) {
        super("no value was given for observation '" + name + "' (" + why + "): " + fix(name));
        this.name = name;
    }

    /** The observation's name. */
    public String name() {
        return name;
    }

    /** The fix, as the message words it: give the value to the inference's builder. */
    public static String fix(String name) {
        return "give one with .observe(\"" + name + "\", value)";
    }
}
