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
 * Sequence parity, shape set D, layers outside the usual pattern: an embedding of 10 lifted per position to D 21 by
 * a dense layer whose bias a following layer norm makes redundant ({@code Bias.AUTO}), a non-causal residual block
 * of 3 heads of 7, a bare causal attention of 7 heads of 3 with no residual and no norm before it, a post-norm, and
 * 6 classes per position for a vocabulary of 5 (labels are not tokens here); run on 2 sequences of the 4 it plans
 * for. Its PyTorch twin is the {@code mixed_sequence} entry of {@code src/test/python/make_golden_sequences.py}.
 */
@Model(input = {11}, vocabulary = 5, batch = 4)
public interface MixedSequence {
    @Embedding(dim = 10) @PositionalEmbedding Layer embed();

    @Dense(units = 21) @Norm(kind = NormKind.LAYER) @Gelu Layer lift();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn0();

    @Attention(heads = 7, causal = true) Layer mix();

    @Norm(kind = NormKind.LAYER) Layer norm();

    @Dense(units = 6) Layer logits();

    @Block interface SelfAttention {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Attention(heads = 3) Layer attn();
    }
}
