package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A 2-D transposed convolution ("deconvolution"), the learned upsampling of a U-Net: each input pixel scatters a
 * {@code kernel × kernel} patch, weighted per channel pair, onto an output that is {@code stride} times larger.
 * Output size: {@code (H − 1)·stride − 2·padding + kernel}; with {@code kernel = stride = 2} exactly twice the input.
 * PyTorch's {@code nn.ConvTranspose2d} (no output padding, no groups, no dilation).
 *
 * <pre>{@code @ConvTranspose(filters = 16, kernel = 2, stride = 2) Layer up1();}</pre>
 *
 * Its weight is stored {@code [C, filters, kernel, kernel]} (PyTorch's layout: input channels first), named
 * {@code <method>.weight}; the bias {@code [filters]} is {@code <method>.bias}.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface ConvTranspose {

    /** Output channels. */
    int filters();

    /** Kernel height and width. */
    int kernel() default 2;

    /** The upsampling factor: the step between the patches of neighbouring input pixels. */
    int stride() default 2;

    /** Rows and columns cropped from each border of the output. */
    int padding() default 0;

    /** Whether it adds a bias; {@link Bias#AUTO} omits it when a {@link Norm} follows on the method. */
    Bias bias() default Bias.AUTO;
}
