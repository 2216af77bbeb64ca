package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/** Layer norm over every feature of a sample, with a scale and shift per feature; saves mean and 1/σ per sample. */
record LayerNormEmitter(Op.LayerNorm norm) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.input().shape();
        return CodeBlock.builder().addStatement("$T.forward($L, $L, $L, n, $L, $L, $L, $L, $L, $L)",
                Symbols.kernel("LayerNorm"), symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                symbols.tensor(node.params().get(0)), symbols.tensor(node.params().get(1)),
                Emit.floatLiteral(norm.eps()), symbols.tensor(node.output()), symbols.saved(node, "MEAN"),
                symbols.saved(node, "RSTD")).build();
    }

    /** A sequence's positions get the kernel's row sweep, whose two sums per position live in the scratch. */
    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape shape = node.input().shape();
        return CodeBlock.builder().addStatement("$T.backward($L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L$L)",
                Symbols.kernel("LayerNorm"), symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                symbols.tensor(node.params().get(0)), symbols.saved(node, "MEAN"), symbols.saved(node, "RSTD"),
                symbols.gradient(node.output()), symbols.parameterGradient(node.params().get(0)),
                symbols.parameterGradient(node.params().get(1)), symbols.inputGradient(node.input()),
                backprop.accumulate(step, node.input()),
                shape.sequence() ? CodeBlock.of(", $L", symbols.scratch()) : CodeBlock.of("")).build();
    }
}
