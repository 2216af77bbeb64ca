package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Learned positional embedding: adds row {@code t} of {@code weight} ({@code [T, D]}, initialized from N(0, 1) as
 * {@code nn.Embedding} is) to position {@code t} of every sequence, as GPT-2 adds {@code wpe}. Sequence models only.
 *
 * <pre>{@code @Embedding(dim = 128) @PositionalEmbedding Layer embed();}</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface PositionalEmbedding {}
