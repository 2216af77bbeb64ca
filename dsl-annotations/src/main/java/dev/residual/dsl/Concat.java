package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A U-Net skip: concatenates, along channels, the tensor arriving at this layer with the output of an earlier layer
 * method named by {@link #value()} — {@code torch.cat([x, skip], dim=1)}, the arriving channels first.
 *
 * <pre>{@code
 * @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer enc1();    // 16×32×32, kept for the decoder
 * @Pool(value = PoolKind.MAX, size = 2)                    Layer down1();   // 16×16×16
 * ...
 * @ConvTranspose(filters = 16, kernel = 2, stride = 2)      Layer up1();     // 16×32×32
 * @Concat("enc1")                                           Layer cat1();    // 32×32×32: up1's 16, then enc1's 16
 * @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer dec1();
 * }</pre>
 *
 * <p>Why a name rather than a nested structure: a U-Net reads top to bottom as the encoder, the bottleneck and the
 * decoder, and each decoder stage needs one feature from far above it. Naming that layer keeps the interface a flat
 * list of layers in execution order — the same shape as every other Residual model — and lets the compiler check the
 * link: the name must be a layer method of the same model written <em>before</em> this one (not this one, not a
 * later one, not inside a {@link Block}), and both tensors must be images of the same height and width. Each mistake
 * is a compile error on this annotation's value.
 *
 * <p>The backward pass sends each part of the gradient back to its source; the named layer receives it in addition
 * to the gradient from the layer that follows it. The concatenation is a copy of two contiguous blocks (activations
 * are stored channel-major, so the channels of a batch are one run), which costs a memory copy per step.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Concat {

    /** The name of an earlier layer method of this model whose output is appended after the arriving channels. */
    String value();
}
