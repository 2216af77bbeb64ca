package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * {@code repeat} residual blocks in sequence, each computing {@code y = activation(F(x) + shortcut(x))}, where
 * {@code F} is the {@link Block} interface named by {@link #block()}.
 *
 * <p>The first block of the stage gets {@link #stride()}; the later ones stride 1. {@link #filters()} and
 * {@link #stride()} fill the block's {@link Conv#BLOCK} values. The shortcut is:
 * <ul>
 *   <li>{@link Shortcut#IDENTITY}: {@code x} itself, which needs {@code F(x)} to keep {@code x}'s shape;</li>
 *   <li>{@link Shortcut#PROJECTION}: a 1×1 convolution with the block's stride and a batch norm
 *       ({@code <method>.<i>.shortcut.0.weight}, {@code …shortcut.1.weight}), as in ResNet option B;</li>
 *   <li>{@link Shortcut#AUTO} (default): identity when the shapes match, projection when they do not.</li>
 * </ul>
 *
 * <pre>{@code
 * @Residual(block = Basic.class, repeat = 3, filters = 32, stride = 2) Layer stage2();
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Residual {

    /** Inherit-nothing marker for {@link #filters()}: keep the input's channels. */
    int SAME = -1;

    /** The residual branch {@code F}, an interface annotated {@link Block}. */
    Class<?> block();

    /** How many blocks in sequence. */
    int repeat() default 1;

    /** Output channels of the stage, given to the block's {@code filters = BLOCK}; {@link #SAME} keeps the input's. */
    int filters() default SAME;

    /** Stride of the first block, given to the block's {@code stride = BLOCK}. */
    int stride() default 1;

    Shortcut shortcut() default Shortcut.AUTO;

    /** Applied after the add: ReLU as in the original ResNet, {@link Activation#NONE} for pre-activation designs. */
    Activation activation() default Activation.RELU;
}
