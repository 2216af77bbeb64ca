package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A 2-D convolution over a {@code C × H × W} input: {@code filters} output channels, a square {@code kernel}, zero
 * {@code padding} on every side and a {@code stride}. Output size: {@code (H + 2·padding − kernel) / stride + 1}.
 *
 * <pre>{@code
 * @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer stem();
 * }</pre>
 *
 * Its weight is stored {@code [filters, C, kernel, kernel]} (PyTorch's OIHW), named {@code <method>.weight}.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Conv {

    /** Inside a {@link Block}: take this value from the {@link Residual} that uses the block. */
    int BLOCK = -1;

    /** Output channels; {@link #BLOCK} inside a block to inherit the residual's {@code filters}. */
    int filters() default BLOCK;

    /** Kernel height and width. */
    int kernel();

    /** Step between windows; {@link #BLOCK} inside a block to inherit the residual's {@code stride}. */
    int stride() default 1;

    /** Zeros added on each side. */
    int padding() default 0;

    /** Whether the convolution adds a bias; {@link Bias#AUTO} omits it when a {@link Norm} follows on the method. */
    Bias bias() default Bias.AUTO;
}
