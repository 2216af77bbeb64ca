package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/**
 * Learned positional embedding: adds its row to each position. The kernel needs whole sequences, so it gets
 * {@code n / T} ({@code n} counts positions in a sequence model).
 */
record PositionalEmbeddingEmitter() implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.input().shape();
        return CodeBlock.builder().addStatement("$T.forward($L, $L, $L, n / $L, $L, $L)",
                Symbols.kernel("PositionalEmbedding"), symbols.tensor(node.input()), shape.channels(),
                shape.length(), shape.length(), symbols.tensor(node.params().get(0)), symbols.tensor(node.output()))
                .build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape shape = node.input().shape();
        return CodeBlock.builder().addStatement("$T.backward($L, $L, $L, n / $L, $L, $L, $L)",
                Symbols.kernel("PositionalEmbedding"), symbols.gradient(node.output()), shape.channels(),
                shape.length(), shape.length(), symbols.parameterGradient(node.params().get(0)),
                symbols.inputGradient(node.input()), backprop.accumulate(step, node.input())).build();
    }
}
