package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.graph.Value;
import dev.residual.processor.plan.Step;

/**
 * A U-Net skip, concatenating channels: two block copies forward (channel-major, so each input is one contiguous
 * run). Backward: each part of the output gradient goes back to its input — overwriting or adding, as the other
 * readers of the skip's source require.
 */
record ConcatEmitter() implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Value a = node.inputs().get(0), b = node.inputs().get(1);
        return CodeBlock.builder().addStatement("$T.forward($L, $L, $L, $L, $L, n, $L)", Symbols.kernel("Concat"),
                symbols.tensor(a), a.shape().channels(), symbols.tensor(b), b.shape().channels(),
                a.shape().spatial(), symbols.tensor(node.output())).build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Value a = node.inputs().get(0), b = node.inputs().get(1);
        Shape shape = a.shape();
        return CodeBlock.builder().addStatement("$T.backward($L, $L, $L, $L, n, $L, $L, $L, $L)",
                Symbols.kernel("Concat"), symbols.gradient(node.output()), shape.channels(), b.shape().channels(),
                shape.spatial(), symbols.inputGradient(a), backprop.accumulate(step, a), symbols.inputGradient(b),
                backprop.accumulate(step, b)).build();
    }
}
