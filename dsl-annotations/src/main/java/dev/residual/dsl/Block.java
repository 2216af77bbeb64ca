package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A reusable sub-network: an interface whose methods are layers, used by {@link Residual#block()}. A block's
 * {@link Conv#filters()} and {@link Conv#stride()} may be {@link Conv#BLOCK}: they then take the filters and stride of
 * the {@code @Residual} that uses the block, so ResNet-20 needs one block for its three stages.
 *
 * <pre>{@code
 * @Block interface Basic {
 *     @Conv(kernel = 3, padding = 1, stride = Conv.BLOCK) @Norm @Relu Layer conv1();
 *     @Conv(kernel = 3, padding = 1)                      @Norm       Layer conv2();
 * }
 * }</pre>
 *
 * A block's output shape must equal its input's when the shortcut is {@link Shortcut#IDENTITY}.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface Block {}
