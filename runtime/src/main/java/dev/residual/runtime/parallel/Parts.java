package dev.residual.runtime.parallel;

/** One call's work, cut into numbered parts that {@link PartPool} runs at the same time. */
@FunctionalInterface
public interface Parts {

    /** Does part {@code part}; no two parts of a call write the same memory. */
    void runPart(int part);
}
