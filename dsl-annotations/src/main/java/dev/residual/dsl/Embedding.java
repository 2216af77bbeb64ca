package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Token embedding: each token id of a sequence model's input ({@link Model#vocabulary()}) becomes the learned vector
 * of {@link #dim()} features at that row of {@code weight} ({@code [V, dim]}, PyTorch's {@code nn.Embedding},
 * initialized from N(0, 1)). It must be the model's first op.
 *
 * <pre>{@code @Embedding(dim = 128) @PositionalEmbedding Layer embed();}</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Embedding {

    /** Features per token ({@code D}). */
    int dim();
}
