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
 * Sequence parity, shape set E, the edge: sequences of one token (T 1, where attention's softmax is over a single
 * score), D 4 in 2 heads, vocabulary 3; run on 1 sequence, the whole batch. Its PyTorch twin is the {@code one_token}
 * entry of {@code src/test/python/make_golden_sequences.py}.
 */
@Model(input = {1}, vocabulary = 3, batch = 1)
public interface OneToken {
    @Embedding(dim = 4) @PositionalEmbedding Layer embed();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn0();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp0();

    @Norm(kind = NormKind.LAYER) Layer norm();

    @Dense(units = 3) Layer logits();

    @Block interface SelfAttention {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Attention(heads = 2, causal = true) Layer attn();
    }

    @Block interface Mlp {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Dense(units = 8) @Gelu Layer up();

        @Dense(units = 4) Layer down();
    }
}
