package dev.residual.samples.resnet;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
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

    /** What a program does with its options; it calls {@link #done()} once it has read them all. */
    @FunctionalInterface
    public interface Program {
        void run(Options options) throws IOException;
    }

    /**
     * A program's {@code main}: {@code --help} or {@code -h} prints the usage; a bad option or value ends the JVM with
     * status 2 and an I/O failure with status 1, each after one line {@code name: message} on standard error.
     */
    public static void main(String name, String usage, String[] args, Program program) {
        try {
            Options options = new Options(args);
            if (options.flag("--help") || options.flag("-h")) {
                System.out.println(usage);
                return;
            }
            program.run(options);
        } catch (IllegalArgumentException e) {
            System.err.println(name + ": " + e.getMessage());
            System.exit(2);
        } catch (IOException e) {
            System.err.println(name + ": " + describe(e));
            System.exit(1);
        }
    }

    /** The message of an I/O error; for a missing file, whose message is only its path, what is wrong with it. */
    static String describe(IOException e) {
        if (e instanceof NoSuchFileException missing) {
            return missing.getFile() + ": no such file (check the path given on the command line)";
        }
        return e.getMessage();
    }

    /** Fails on anything not consumed. */
    public void done() {
        if (!args.isEmpty()) {
            throw new IllegalArgumentException("unknown option " + args.get(0) + " (try --help)");
        }
    }
}
