package dev.residual.samples.parity;

import dev.residual.dsl.Activation;
import dev.residual.dsl.Attention;
import dev.residual.dsl.Bias;
import dev.residual.dsl.Block;
import dev.residual.dsl.Dense;
import dev.residual.dsl.Embedding;
import dev.residual.dsl.Gelu;
import dev.residual.dsl.Model;
import dev.residual.dsl.Norm;
import dev.residual.dsl.NormKind;
import dev.residual.dsl.Residual;
import dev.residual.runtime.Layer;

/**
 * Sequence parity, shape set C: two causal layers with one head of 9 features, T 5, vocabulary 17, no positional
 * embedding, MLPs of 9 (ratio 1) and logits without a bias; run on a full batch of 3. Its PyTorch twin is the
 * {@code single_head_no_bias} entry of {@code src/test/python/make_golden_sequences.py}.
 */
@Model(input = {5}, vocabulary = 17, batch = 3)
public interface SingleHeadNoBias {
    @Embedding(dim = 9) Layer embed();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn0();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp0();

    @Residual(block = SelfAttention.class, activation = Activation.NONE) Layer attn1();

    @Residual(block = Mlp.class, activation = Activation.NONE) Layer mlp1();

    @Norm(kind = NormKind.LAYER) Layer norm();

    @Dense(units = 17, bias = Bias.OFF) Layer logits();

    @Block interface SelfAttention {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Attention(heads = 1, causal = true) Layer attn();
    }

    @Block interface Mlp {
        @Norm(kind = NormKind.LAYER) Layer norm();

        @Dense(units = 9, bias = Bias.OFF) @Gelu Layer up();

        @Dense(units = 9, bias = Bias.OFF) Layer down();
    }
}
