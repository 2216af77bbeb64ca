package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Nearest-neighbour upsampling of a {@code C × H × W} image by an integer factor: every pixel becomes a
 * {@code scale × scale} square, giving {@code C × (scale·H) × (scale·W)} — PyTorch's
 * {@code nn.Upsample(scale_factor=scale, mode="nearest")}. It has no parameters.
 *
 * <pre>{@code @Upsample(scale = 2) Layer up2();}</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Upsample {

    /** The factor on both axes, 1 or more. */
    int scale() default 2;
}
