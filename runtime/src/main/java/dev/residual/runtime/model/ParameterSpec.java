package dev.residual.runtime.model;

/**
 * One parameter or state buffer of a compiled model, as the generated class declares it.
 *
 * @param name      checkpoint name, PyTorch-compatible, e.g. {@code stage1.0.conv1.0.weight}
 * @param shape     PyTorch's shape
 * @param init      how {@link CompiledModel#initialize(long)} fills it
 * @param fanIn     the fan-in that bounds the uniform inits
 * @param trainable true for the parameter block, false for the buffer block (running statistics)
 * @param offset    offset in its block, in floats
 */
public record ParameterSpec(String name, int[] shape, Init init, int fanIn, boolean trainable, long offset) {

    /** PyTorch's default initializations. */
    public enum Init {
        /** nn.Conv2d / nn.Linear weights: {@code kaiming_uniform_(a=√5)}, i.e. uniform in ±1/√fanIn. */
        KAIMING_UNIFORM,
        /** nn.Conv2d / nn.Linear biases: uniform in ±1/√fanIn. */
        FAN_IN_UNIFORM,
        ONES,
        ZEROS,
        /** nn.Embedding tables: N(0, 1). */
        NORMAL
    }

    public long size() {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        return size;
    }
}
