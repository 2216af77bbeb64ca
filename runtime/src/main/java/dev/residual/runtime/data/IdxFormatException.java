package dev.residual.runtime.data;

import java.io.IOException;
import java.io.Serial;

/**
 * A file is not a valid IDX file of the kind asked for (images or labels), or its contents are out of range. The
 * message names the file, says what is wrong with the numbers found, and says what to do.
 */
public final class IdxFormatException extends IOException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final String source;
    private final String problem;

    /**
     * @param source  the file's path, or the class-path resource's name
     * @param problem what is wrong, with the numbers found and expected, without a final period
     * @param advice  what to do, a sentence (a final period is added when missing)
     */
    public IdxFormatException(String source, String problem, String advice) {
        super(source + " is not a valid IDX file: " + problem + ". " + advice + (advice.endsWith(".") ? "" : "."));
        this.source = source;
        this.problem = problem;
    }

    /** The file's path, or the class-path resource's name. */
    public String source() {
        return source;
    }

    /** What was wrong, without the file name and the advice. */
    public String problem() {
        return problem;
    }
}
