package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Normalization of the preceding layer's output, with a learned scale ({@code weight}) and shift ({@code bias}).
 *
 * <ul>
 *   <li>{@link NormKind#BATCH} (default): per channel over the batch and the spatial positions; keeps running mean
 *       and variance ({@code running_mean}, {@code running_var}) updated with {@link #momentum()} in training and used
 *       in inference — PyTorch's {@code BatchNorm2d}/{@code BatchNorm1d}.</li>
 *   <li>{@link NormKind#LAYER}: per sample over all of its features — {@code LayerNorm} over the last dimension for
 *       vectors, over {@code C × H × W} for images.</li>
 *   <li>{@link NormKind#GROUP}: per sample over groups of {@link #groups()} channels — {@code GroupNorm}.</li>
 * </ul>
 *
 * <pre>{@code
 * @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer stem();
 * @Conv(filters = 64, kernel = 1) @Norm(kind = NormKind.GROUP, groups = 8) Layer squeeze();
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Norm {

    NormKind kind() default NormKind.BATCH;

    /** Added to the variance before its square root. */
    double eps() default 1e-5;

    /** Batch norm only: weight of the new batch statistics in the running ones (PyTorch's convention). */
    double momentum() default 0.1;

    /** Group norm only: the number of groups; it must divide the channels. */
    int groups() default 32;
}
