package dev.residual.runtime.io;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;

/**
 * A file is not a valid safetensors file. The message names the file, says what is wrong with the numbers found, and
 * says what to do.
 */
public final class SafetensorsFormatException extends IOException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String problem;

    public SafetensorsFormatException(Path file, String problem, String advice) {
        super(file + " is not a valid safetensors file: " + problem + ". " + advice);
        this.file = file;
        this.problem = problem;
    }

    /** The file that was read. */
    public Path file() {
        return file;
    }

    /** What was wrong, without the file name and the advice. */
    public String problem() {
        return problem;
    }
}
