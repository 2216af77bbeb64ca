package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Multi-head self-attention over the positions of a sequence ({@code T × D}): one dense layer makes queries, keys and
 * values ({@code qkv.weight} {@code [3D, D]}, {@code qkv.bias}; channels {@code [q | k | v]}, head {@code h} owning
 * features {@code h·D/H … (h+1)·D/H − 1} of each), each head computes {@code softmax(q·kᵀ/√(D/H))·v}, and a dense
 * layer mixes the heads ({@code proj.weight} {@code [D, D]}, {@code proj.bias}) — the layout of GPT-2's
 * {@code c_attn}/{@code c_proj}. Sequence models only; {@link #heads()} must divide {@code D}.
 *
 * <pre>{@code
 * @Block interface SelfAttention {
 *     @Norm(kind = NormKind.LAYER)           Layer norm();
 *     @Attention(heads = 4, causal = true)   Layer attn();
 * }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Attention {

    /** The number of heads ({@code H}); it must divide the features {@code D}. */
    int heads();

    /** Whether position {@code t} sees only positions {@code ≤ t} (a language model's mask). */
    boolean causal() default false;
}
