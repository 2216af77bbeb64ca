package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Spatial pooling over square windows, per channel. {@link PoolKind#GLOBAL_AVERAGE} averages each channel's whole map
 * to one value and takes no size. Average pooling counts padded zeros (PyTorch's default).
 *
 * <pre>{@code
 * @Pool(value = PoolKind.MAX, size = 2) Layer down();
 * @Pool(PoolKind.GLOBAL_AVERAGE)        Layer pool();
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Pool {

    /** Pass {@link #size()} for a window; nothing for {@link PoolKind#GLOBAL_AVERAGE}. */
    int WHOLE = 0;

    PoolKind value();

    /** Window height and width. */
    int size() default WHOLE;

    /** Step between windows; {@link #WHOLE} (0) means equal to the size. */
    int stride() default 0;

    /** Padding on each side (max pooling pads with −∞, average pooling with zeros). */
    int padding() default 0;
}
