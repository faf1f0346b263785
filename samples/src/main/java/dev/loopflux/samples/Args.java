package dev.loopflux.samples;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The options of one command, {@code --name value} pairs, checked against the names the command
 * knows. Every lookup names the option and the bad value in its error, and the caller prints its
 * usage line: {@code --seconds needs a whole number in [1, 3600], not 'zero'}.
 */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    private Args() {
    }

    /** @throws IllegalArgumentException for an unknown option, or an option without its value */
    static Args parse(String[] args, Set<String> known) {
        Args parsed = new Args();
        for (int i = 0; i < args.length; i += 2) {
            String name = args[i];
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown option: " + name);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + name);
            }
            parsed.values.put(name, args[i + 1]);
        }
        return parsed;
    }

    /** The option's value, or {@code otherwise} when not given. */
    String string(String name, String otherwise) {
        return values.getOrDefault(name, otherwise);
    }

    /** The option as a whole number in {@code [min, max]}, or {@code otherwise} when not given. */
    int integer(String name, int otherwise, int min, int max) {
        String text = values.get(name);
        if (text == null) {
            return otherwise;
        }
        try {
            int value = Integer.parseInt(text.trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below, with the bounds
        }
        throw new IllegalArgumentException(name + " needs a whole number in [" + min + ", " + max + "], not '" + text + "'");
    }
}
