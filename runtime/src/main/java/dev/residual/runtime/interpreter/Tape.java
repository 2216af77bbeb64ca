package dev.residual.runtime.interpreter;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * What one forward (and backward) call of the interpreter holds, as an eager framework's autograd tape does: every
 * value's tensor, every gradient, what each node saved for its backward. Every tensor is freshly allocated from the
 * call's arena and freed when the call ends.
 *
 * <p>The arena is shared, not confined, so that the kernels may split their work over the element-wise pool's threads
 * and a small convolution's column bands over the GEMM's, as they do for the generated code: a confined arena's
 * memory can be touched by its owner thread only, which made every element-wise kernel of the interpreter run on one
 * thread. Closing a shared arena costs about what closing a confined one does here (60 tensors of 50 KB: 0.1 ms
 * either way, allocation and zeroing included).
 */
final class Tape implements AutoCloseable {

    final int n;
    final boolean training;
    final MemorySegment[] values;
    final MemorySegment[] gradients;
    final MemorySegment[][] saved;
    private final Arena arena = Arena.ofShared();

    Tape(ModelGraph graph, int n, boolean training) {
        this.n = n;
        this.training = training;
        int ids = valueSlots(graph);
        this.values = new MemorySegment[ids];
        this.gradients = new MemorySegment[ids];
        this.saved = new MemorySegment[graph.nodes().size()][];
    }

    /** One more than the largest value id: the size of a table indexed by value. */
    static int valueSlots(ModelGraph graph) {
        int ids = graph.input();
        for (ModelGraph.Node node : graph.nodes()) {
            ids = Math.max(ids, node.output());
        }
        return ids + 1;
    }

    /** A new tensor of {@code floats} floats, 64-byte aligned. */
    MemorySegment allocate(long floats) {
        return arena.allocate(Math.max(1, floats) * Float.BYTES, 64);
    }

    /** A new tensor for {@code shape} at this call's batch. */
    MemorySegment allocate(ModelGraph.Shape shape) {
        return allocate(shape.size() * n);
    }

    @Override
    public void close() {
        arena.close();
    }
}
