package dev.residual.samples.parity;

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
 * A 2-layer pre-norm Transformer language model with shapes no other test uses (V 11, T 6, D 12, 3 heads, MLP 20):
 * {@code x + Attention(LayerNorm(x))}, then {@code x + MLP(LayerNorm(x))}, twice. Its PyTorch twin is in
 * {@code src/test/python/make_golden_transformer.py}.
 */
@Model(input = {6}, vocabulary = 11, batch = 4)
public interface TinyGpt {
    @Embedding(dim = 12) @PositionalEmbedding Layer embed();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn0();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp0();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn1();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp1();

    @Norm(kind = NormKind.LAYER) Layer norm();

    @Dense(units = 11) Layer logits();

    @Block interface SelfAttention {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Attention(heads = 3, causal = true) Layer attn();
    }

    @Block interface Mlp {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Dense(units = 20) @Gelu Layer up();

        @Dense(units = 12) Layer down();
    }
}
