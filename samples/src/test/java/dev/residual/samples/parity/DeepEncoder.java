package dev.residual.samples.parity;

import dev.residual.dsl.Activation;
import dev.residual.dsl.Attention;
import dev.residual.dsl.Block;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Embedding;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.NormKind;
import dev.residual.dsl.PositionalEmbedding;
import dev.residual.dsl.Relu;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/**
 * Sequence parity, shape set B: three non-causal (encoder) layers, D 24 in 3 heads of 8, T 13, vocabulary 7, ReLU
 * MLPs of 40, layer norms with eps 1e-6, and one stage of two MLP blocks ({@code repeat = 2}); run on 3 sequences of
 * the 5 it plans for. Its PyTorch twin is the {@code deep_encoder} entry of
 * {@code src/test/python/make_golden_sequences.py}.
 */
@Model(input = {13}, vocabulary = 7, batch = 5)
public interface DeepEncoder {
    @Embedding(dim = 24) @PositionalEmbedding Layer embed();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn0();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp0();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn1();

    @Residual(block = Mlp.class, activation = Activation.NONE, repeat = 2) Layer mlp1();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn2();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp2();

    @Norm(kind = NormKind.LAYER, eps = 1e-6) Layer norm();

    @Dense(units = 7) Layer logits();

    @Block interface SelfAttention {
        @Norm(kind = NormKind.LAYER, eps = 1e-6) Layer norm();

        @Attention(heads = 3) Layer attn();
    }

    @Block interface Mlp {
        @Norm(kind = NormKind.LAYER, eps = 1e-6) Layer norm();

        @Dense(units = 40) @Relu Layer up();

        @Dense(units = 24) Layer down();
    }
}
