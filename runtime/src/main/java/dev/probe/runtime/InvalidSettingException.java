package dev.probe.runtime;

/**
 * A setting (of an engine, a trainer, a loader) that cannot work as given. The message starts
 * with the setting's name as the Java API spells it ({@code batchSize}); front ends with names of
 * their own (command-line flags) replace that first word with theirs.
 */
public class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    /**
     * @param setting the setting's Java name
     * @param rest    what is wrong and the fix, after the name: {@code "must be positive, got 0"}
     */
    public InvalidSettingException(String setting, String rest) {
        super(setting + " " + rest);
        this.setting = setting;
    }

    /** The setting's name as the Java API spells it. */
    public String setting() {
        return setting;
    }

    /** The message after the setting's name. */
    public String rest() {
        return getMessage().substring(setting.length() + 1);
    }
}
