package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Op;
import dev.residual.processor.plan.Step;

/**
 * Writes the kernel calls of one op: its forward and its backward side by side. The kernels they call live in
 * {@code dev.residual.runtime.ops}, one class per op as well.
 */
public interface OpEmitter {

    /**
     * The forward statements of a step whose head is this emitter's op. In scope: {@code n}, the batch, and
     * {@code training}, whether norms use batch statistics (and save them for the backward).
     */
    CodeBlock forward(Step step, Symbols symbols);

    /**
     * The backward statements of the head op. The gradient of the step's output is in its gradient buffer, with
     * any fused ReLU and residual add already undone; the statements write the parameters' gradients and the
     * input's gradient (overwriting or adding, as {@code backprop} says).
     */
    CodeBlock backward(Step step, Symbols symbols, Backprop backprop);

    /** The emitter for an op. */
    static OpEmitter of(Op op) {
        return switch (op) {
            case Op.Conv conv -> new ConvEmitter(conv);
            case Op.BatchNorm norm -> new BatchNormEmitter(norm);
            case Op.LayerNorm norm -> new LayerNormEmitter(norm);
            case Op.GroupNorm norm -> new GroupNormEmitter(norm);
            case Op.Relu relu -> new ActivationEmitter(op);
            case Op.Gelu gelu -> new ActivationEmitter(op);
            case Op.MaxPool pool -> new PoolEmitter(op);
            case Op.AvgPool pool -> new PoolEmitter(op);
            case Op.GlobalAvgPool pool -> new PoolEmitter(op);
            case Op.Dense dense -> new DenseEmitter(dense);
            case Op.Add add -> new AddEmitter();
            case Op.Embedding embedding -> new EmbeddingEmitter(embedding);
            case Op.PositionalEmbedding positions -> new PositionalEmbeddingEmitter();
            case Op.Attention attention -> new AttentionEmitter(attention);
            case Op.Concat concat -> new ConcatEmitter();
            case Op.Upsample upsample -> new UpsampleEmitter(upsample);
            case Op.ConvTranspose conv -> new ConvTransposeEmitter(conv);
        };
    }
}
