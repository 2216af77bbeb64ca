package dev.residual.dsl;

/** What {@link Model#loss()} trains against. */
public enum Loss {
    /**
     * Softmax cross-entropy over the output's classes, one integer label per sample (per position for a sequence
     * model). The output must be a vector or a sequence; a model ending in an image gets no {@code trainStep}.
     */
    CROSS_ENTROPY,
    /**
     * Per-pixel softmax cross-entropy for segmentation: the output is {@code C × H × W} class scores, the labels are
     * one class in {@code [0, C)} per pixel ({@code n × H × W} of them, row by row), and the loss is the mean over
     * every pixel of the batch — PyTorch's {@code CrossEntropyLoss} on {@code (N, C, H, W)} logits and
     * {@code (N, H, W)} targets. The model must end in an image.
     */
    PIXEL_CROSS_ENTROPY
}
