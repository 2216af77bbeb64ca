package dev.residual.samples.language;

import dev.residual.dsl.Activation;
import dev.residual.dsl.Attention;
import dev.residual.dsl.Block;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Embedding;
import dev.residual.dsl.Gelu;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.NormKind;
import dev.residual.dsl.PositionalEmbedding;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/**
 * A character-level language model ("makemore" on English words): 4 pre-norm Transformer layers, d = 128, 4 heads,
 * a context of 32 characters from the {@link Alphabet} of 28. Each layer is {@code x + Attention(LayerNorm(x))}
 * then {@code x + MLP(LayerNorm(x))}, the MLP 128 → 512 → 128 with GELU.
 */
@Model(input = {32}, vocabulary = Alphabet.SIZE, batch = 32)
public interface CharModel {
    @Embedding(dim = 128) @PositionalEmbedding Layer embed();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn0();
    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp0();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn1();
    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp1();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn2();
    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp2();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn3();
    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp3();

    @Norm(kind = NormKind.LAYER) Layer norm();

    @Dense(units = Alphabet.SIZE) Layer logits();

    @Block interface SelfAttention {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Attention(heads = 4, causal = true) Layer attn();
    }

    @Block interface Mlp {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Dense(units = 512) @Gelu Layer up();

        @Dense(units = 128) Layer down();
    }
}
