package dev.residual.dsl;

/** What {@link Norm} normalizes over. */
public enum NormKind {
    /** Per channel, over batch and positions; running statistics for inference. */
    BATCH,
    /** Per sample, over all of its features. */
    LAYER,
    /** Per sample, over groups of channels and their positions. */
    GROUP
}
