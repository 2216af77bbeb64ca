package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.plan.Step;

/**
 * Token embedding: a lookup per position ({@code n} counts positions in a sequence model). Backward: the table's
 * gradient, summed per token; the token ids have none.
 */
record EmbeddingEmitter(Op.Embedding embedding) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        return CodeBlock.builder().addStatement("$T.forward($L, n, $L, $L, $L, $L)", Symbols.kernel("Embedding"),
                symbols.tensor(node.input()), symbols.tensor(node.params().get(0)), embedding.vocabulary(),
                embedding.dim(), symbols.tensor(node.output())).build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        return CodeBlock.builder().addStatement("$T.backward($L, n, $L, $L, $L, $L)", Symbols.kernel("Embedding"),
                symbols.tensor(node.input()), embedding.vocabulary(), embedding.dim(),
                symbols.gradient(node.output()), symbols.parameterGradient(node.params().get(0))).build();
    }
}
