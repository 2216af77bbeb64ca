package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Op;
import dev.residual.processor.plan.Step;

/**
 * Writes the kernel calls of one op. Each op has one emitter, and its forward and backward live side by side in it;
 * the kernels they call live in {@code dev.residual.runtime.ops}, one class per op as well.
 */
public interface OpEmitter {

    /** The statements of the forward pass of a step whose head is this emitter's op; {@code n} is in scope. */
    CodeBlock forward(Step step, Symbols symbols);

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
        };
    }
}
