package dev.residual.runtime.interpreter;

/** A graph resource that cannot be read: names the source, the line and what is wrong with it. */
public final class MalformedGraphException extends IllegalArgumentException {

    MalformedGraphException(String source, int line, String problem) {
        super(source + (line > 0 ? ":" + line : "") + ": " + problem);
    }
}
