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
 * Sequence parity, shape set A: one causal layer, 5 heads of 3 features (odd head size), T 7, vocabulary 13, an MLP
 * of 22 (not 4·D) with the tanh form of GELU; run on 1 sequence of the 2 it plans for. Its PyTorch twin is the
 * {@code odd_heads_gpt} entry of {@code src/test/python/make_golden_sequences.py}.
 */
@Model(input = {7}, vocabulary = 13, batch = 2)
public interface OddHeadsGpt {
    @Embedding(dim = 15) @PositionalEmbedding Layer embed();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn0();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp0();

    @Norm(kind = NormKind.LAYER) Layer norm();

    @Dense(units = 13) Layer logits();

    @Block interface SelfAttention {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Attention(heads = 5, causal = true) Layer attn();
    }

    @Block interface Mlp {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Dense(units = 22) @Gelu(tanh = true) Layer up();

        @Dense(units = 15) Layer down();
    }
}
