package dev.residual.runtime.data;

import java.io.Serial;
import java.nio.file.NoSuchFileException;

/**
 * A data file is missing. The message is {@code <path>: no such file. <what to do>}; as a
 * {@link NoSuchFileException} it is caught by code that handles a missing file in general.
 */
public final class DataFileNotFoundException extends NoSuchFileException {

    @Serial
    private static final long serialVersionUID = 1L;

    private final String advice;

    /**
     * @param file   the path (or class-path resource) that was looked for
     * @param advice what to do, a sentence
     */
    public DataFileNotFoundException(String file, String advice) {
        super(file, null, "no such file. " + advice);
        this.advice = advice;
    }

    /** What to do, without the path. */
    public String advice() {
        return advice;
    }
}
