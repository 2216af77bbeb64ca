package dev.residual.dsl;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A fully connected layer, {@code y = x·Wᵀ + b}: an image input is flattened ({@code C·H·W} features, in that order,
 * as PyTorch's {@code flatten(1)}). Its weight is stored {@code [units, in]} (PyTorch's {@code Linear}).
 *
 * <pre>{@code @Dense(units = 10) Layer logits();}</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Dense {

    /** Output features. */
    int units();

    /** Whether to add a bias; {@link Bias#AUTO} omits it when a {@link Norm} follows on the method. */
    Bias bias() default Bias.AUTO;
}
