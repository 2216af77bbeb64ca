package dev.residual.runtime;

import java.util.List;

/**
 * A view of one layer of a compiled model: what a layer method of a {@code @Model} interface returns. It shares
 * memory with the model: after a forward pass {@link #output()} holds that pass's result, and writing a parameter
 * changes the model.
 */
public interface Layer {

    /** The layer method's name, e.g. {@code stage2}. */
    String name();

    /** The output shape of one sample: {@code {C, H, W}} or {@code {features}}. */
    int[] shape();

    /**
     * The output of the last forward pass, in the model's internal channel-major layout: shape {@code [C, n, H, W]}
     * for images or {@code [features, n]} for vectors, where {@code n} is the batch of that pass.
     */
    Tensor output();

    /** The layer's parameters and running statistics, with their checkpoint names, in execution order. */
    List<Tensor> parameters();

    /** One of {@link #parameters()} by its full name or by the end of it (e.g. {@code "0.weight"}). */
    default Tensor parameter(String name) {
        for (Tensor tensor : parameters()) {
            if (tensor.name().equals(name) || tensor.name().endsWith("." + name)) {
                return tensor;
            }
        }
        throw new IllegalArgumentException("layer " + name() + " has no parameter " + name + "; it has "
                + parameters().stream().map(Tensor::name).toList());
    }
}
