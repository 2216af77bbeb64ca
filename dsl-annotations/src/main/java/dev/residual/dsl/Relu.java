package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * {@code max(0, x)}, element-wise, after what precedes it on the method.
 *
 * <pre>{@code @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer stem();}</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Relu {}
