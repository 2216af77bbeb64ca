package dev.residual.samples.resnet;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Command-line options of the samples: {@code --name value} pairs and flags, with a usage text. Unknown options and
 * bad values are errors that name the option, never stack traces.
 */
public final class Options {

    private final List<String> args;

    public Options(String[] args) {
        this.args = new ArrayList<>(List.of(args));
    }

    /** Prints the usage and returns true when {@code --help} or {@code -h} was given: the program then stops. */
    public boolean help(String usage) {
        if (flag("--help") | flag("-h")) {
            System.out.println(usage);
            return true;
        }
        return false;
    }

    public boolean flag(String name) {
        return args.remove(name);
    }

    public String string(String name, String fallback) {
        int i = args.indexOf(name);
        if (i < 0) {
            return fallback;
        }
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        args.remove(i);
        return args.remove(i);
    }

    public int integer(String name, int fallback, int min, int max) {
        String text = string(name, null);
        if (text == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text);
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be from " + min + " to " + max + ", got " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " takes a whole number, got " + text);
        }
    }

    public double decimal(String name, double fallback) {
        String text = string(name, null);
        try {
            return text == null ? fallback : Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " takes a number, got " + text);
        }
    }

    public Path path(String name, Path fallback) {
        String text = string(name, null);
        return text == null ? fallback : Path.of(text);
    }

    /** Fails on anything not consumed. */
    public void done() {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("unknown option " + args.get(0) + " (try --help)");
        }
    }
}
