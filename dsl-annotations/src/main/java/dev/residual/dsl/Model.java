package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a network. Put it on a public interface whose methods are its layers, each returning
 * {@code dev.residual.runtime.Layer} and carrying layer annotations ({@link Conv}, {@link Norm}, {@link Relu},
 * {@link Residual}, {@link Pool}, {@link Dense}, {@link Concat}, {@link Upsample}, {@link ConvTranspose}, …).
 * Layers run in declaration order; the annotations stacked on one
 * method apply in the order they are written.
 *
 * <pre>{@code
 * @Model(input = {1, 28, 28}, batch = 128)
 * public interface Tiny {
 *     @Conv(filters = 8, kernel = 3, padding = 1) @Norm @Relu Layer stem();
 *     @Pool(GLOBAL_AVERAGE)                                 Layer pool();
 *     @Dense(units = 10)                                    Layer logits();
 * }
 * }</pre>
 *
 * The annotation processor generates {@code TinyNet} (or {@link #className()}), which implements the interface.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface Model {

    /**
     * The shape of one sample, channels first: {@code {C, H, W}} for images, {@code {features}} for vectors, and
     * {@code {T}} for a sequence of {@code T} token ids when {@link #vocabulary()} is set.
     */
    int[] input();

    /**
     * For a sequence model: how many distinct token ids there are ({@code V}); 0 (default) means the input is not
     * tokens. With it, {@code input = {T}} declares {@code T} token ids per sample, in {@code [0, V)}, passed as
     * floats (exact below 2²⁴); the first layer must be an {@link Embedding}. Every layer then runs on each of the
     * {@code T} positions ({@link Dense}, {@link Norm} of kind {@code LAYER}, activations) or mixes them
     * ({@link Attention}, {@link PositionalEmbedding}); the output holds {@code T} rows of logits per sample and
     * training takes one label per position (for a language model: the next token).
     *
     * <pre>{@code
     * @Model(input = {64}, vocabulary = 28, batch = 32)
     * public interface CharModel { … }
     * }</pre>
     */
    int vocabulary() default 0;

    /**
     * What {@code trainStep} minimizes: {@link Loss#CROSS_ENTROPY} (the default) for classifiers and language models,
     * {@link Loss#PIXEL_CROSS_ENTROPY} for a segmentation model whose output is {@code C × H × W} class scores.
     *
     * <pre>{@code
     * @Model(input = {1, 32, 32}, batch = 16, loss = Loss.PIXEL_CROSS_ENTROPY)
     * public interface UNet { … }
     * }</pre>
     */
    Loss loss() default Loss.CROSS_ENTROPY;

    /** The largest batch a call may pass; every buffer is planned for it, and any {@code n ≤ batch} runs. */
    int batch();

    /** The generated class's simple name; empty means the interface's name followed by {@code Net}. */
    String className() default "";

    /**
     * When not empty, the simple name of a second generated class: the plain twin of this network, for comparing
     * depth with and without skip connections (He et al. 2015, "plain" nets). It implements the same interface with
     * the same layers and parameter names, but every {@link Residual} block computes {@code activation(F(x))}: no
     * add and no shortcut, so its projections are absent too. The block's first convolution carries the stride and
     * the channel change, exactly as in the residual network.
     *
     * <pre>{@code
     * @Model(input = {1, 28, 28}, batch = 128, plainTwin = "Plain20Net")   // writes ResNet20Net and Plain20Net
     * public interface ResNet20 { ... }
     * }</pre>
     */
    String plainTwin() default "";
}
