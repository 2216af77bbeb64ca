package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * GELU, {@code x · Φ(x)}, element-wise: exact with the error function (PyTorch's default), or the tanh approximation.
 *
 * <pre>{@code @Dense(units = 512) @Gelu Layer up();}</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Gelu {

    /** Whether to use {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))} instead of the exact form. */
    boolean tanh() default false;
}
