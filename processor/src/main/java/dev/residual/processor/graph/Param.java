package dev.residual.processor.graph;

import java.util.Arrays;

/**
 * A learned parameter or a state buffer of a node, with its PyTorch-compatible name and layout.
 *
 * @param name     full checkpoint name, e.g. {@code stage1.0.conv1.0.weight}
 * @param shape    PyTorch's shape (OIHW for conv weights, [out, in] for dense weights)
 * @param init     how it starts
 * @param fanIn    the fan-in used by {@link Init#KAIMING_UNIFORM} and {@link Init#FAN_IN_UNIFORM}
 * @param trainable whether the optimizer updates it (running statistics are not trainable)
 */
public record Param(String name, int[] shape, Init init, int fanIn, boolean trainable) {

    /** How a parameter is initialized: PyTorch's defaults. */
    public enum Init {
        /** {@code kaiming_uniform_(a=√5)}: uniform in ±1/√fanIn, as nn.Conv2d and nn.Linear do for weights. */
        KAIMING_UNIFORM,
        /** Uniform in ±1/√fanIn, as nn.Conv2d and nn.Linear do for biases. */
        FAN_IN_UNIFORM,
        ONES,
        ZEROS,
        /** N(0, 1), as {@code nn.Embedding} does for its table. */
        NORMAL
    }

    public long size() {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        return size;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Param p && name.equals(p.name) && Arrays.equals(shape, p.shape) && init == p.init
                && fanIn == p.fanIn && trainable == p.trainable;
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
