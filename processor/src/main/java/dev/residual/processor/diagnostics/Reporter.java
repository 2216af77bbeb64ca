package dev.residual.processor.diagnostics;

import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.annotation.processing.Messager;
import javax.tools.Diagnostic.Kind;

/**
 * Reports catalogue entries to javac. Every message reads {@code [RES060] what is wrong (with the shapes involved)}
 * followed by a line {@code   hint: how to fix it}, and points at the element, annotation or value that holds the
 * mistake.
 */
public final class Reporter {

    private static final Pattern SPECIFIER = Pattern.compile("%[sd]");

    private final Messager messager;
    private int errors;

    public Reporter(Messager messager) {
        this.messager = messager;
    }

    /**
     * Reports an error. The arguments fill the message's format specifiers first, then the hint's.
     */
    public void error(Location where, Code code, Object... args) {
        errors++;
        messager.printMessage(Kind.ERROR, format(code, args), where.element(), where.annotation(), where.value());
    }

    /** The text of a diagnostic, as javac shows it. */
    public static String format(Code code, Object... args) {
        int messageArgs = count(code.template());
        Object[] first = Arrays.copyOfRange(args, 0, Math.min(messageArgs, args.length));
        Object[] rest = args.length > messageArgs ? Arrays.copyOfRange(args, messageArgs, args.length) : new Object[0];
        return "[" + code.id() + "] " + String.format(code.template(), first) + "\n  hint: "
                + String.format(code.hint(), rest);
    }

    private static int count(String template) {
        Matcher matcher = SPECIFIER.matcher(template.replace("%%", ""));
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    /** How many errors were reported so far. */
    public int errorCount() {
        return errors;
    }
}
