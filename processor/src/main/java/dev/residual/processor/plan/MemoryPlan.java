package dev.residual.processor.plan;

import dev.residual.processor.graph.Graph;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Param;
import dev.residual.processor.graph.Value;
import java.util.List;
import java.util.Map;

/**
 * Step 4's result: where every tensor lives. Offsets and sizes count floats; every offset is a multiple of 16
 * floats (64 bytes) from the start of its block, and every block starts 64-byte aligned.
 *
 * <p>The activation block holds, in order: every value of the forward pass (planned for the largest batch), the
 * gradient of every value but the input, the statistics norms save for their backward, the staging areas for array
 * inputs and outputs, and last the scratch area (flattening here; im2col sized by the kernels at class load).
 *
 * @param graph            the graph planned
 * @param steps            the forward pass as fused kernel calls, in order
 * @param parameters       trainable parameters → offset in the parameter block (the gradient block has the same
 *                         layout)
 * @param parameterFloats  size of the parameter block
 * @param buffers          running statistics → offset in the buffer block
 * @param bufferFloats     size of the buffer block
 * @param activations      every value → offset in the activation block (fused values share their step's offset)
 * @param gradients        every stored value but the input → offset of its gradient in the activation block
 * @param saved            every norm node → offset of its saved mean; its saved 1/σ follows at
 *                         {@link #savedFloats(Node)} further
 * @param scratchOffset    start of the scratch area, the last thing in the block
 * @param scratchFloats    the scratch the planner knows of (dense flattening); convolutions may need more
 * @param stagedInput      where array inputs are staged (sample-major, as the caller passes them)
 * @param stagedOutput     where array outputs are staged before they are copied out
 * @param activationFloats size of the activation block up to and with the planner's scratch
 */
public record MemoryPlan(Graph graph, List<Step> steps, Map<Param, Long> parameters, long parameterFloats,
                         Map<Param, Long> buffers, long bufferFloats, Map<Value, Long> activations,
                         Map<Value, Long> gradients, Map<Node, Long> saved, long scratchOffset, long scratchFloats,
                         long stagedInput, long stagedOutput, long activationFloats) {

    /** Alignment of every tensor, in floats: 64 bytes, a cache line and an AVX-512 vector. */
    public static final int ALIGN = 16;

    public long offset(Param param) {
        Long offset = param.trainable() ? parameters.get(param) : buffers.get(param);
        if (offset == null) {
            throw new IllegalArgumentException("unplanned parameter " + param);
        }
        return offset;
    }

    public long offset(Value value) {
        Long offset = activations.get(value);
        if (offset == null) {
            throw new IllegalArgumentException("unplanned value " + value);
        }
        return offset;
    }

    /** Floats a norm saves per statistic (mean, 1/σ): per channel for batch norm, per sample (and group) else. */
    public long savedFloats(Node node) {
        return Planner.savedFloats(node, graph.batch());
    }

    static long align(long floats) {
        return (floats + ALIGN - 1) / ALIGN * ALIGN;
    }
}
