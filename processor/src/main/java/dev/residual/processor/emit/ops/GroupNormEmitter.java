package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/** Group norm: per sample, over groups of channels and their positions; saves mean and 1/σ per sample and group. */
record GroupNormEmitter(Op.GroupNorm norm) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.input().shape();
        return CodeBlock.builder().addStatement("$T.forward($L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L)",
                Symbols.kernel("GroupNorm"), symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                norm.groups(), symbols.tensor(node.params().get(0)), symbols.tensor(node.params().get(1)),
                Emit.floatLiteral(norm.eps()), symbols.tensor(node.output()), symbols.saved(node, "MEAN"),
                symbols.saved(node, "RSTD")).build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape shape = node.input().shape();
        return CodeBlock.builder().addStatement("$T.backward($L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                Symbols.kernel("GroupNorm"), symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                norm.groups(), symbols.tensor(node.params().get(0)), symbols.saved(node, "MEAN"),
                symbols.saved(node, "RSTD"), symbols.gradient(node.output()),
                symbols.parameterGradient(node.params().get(0)), symbols.parameterGradient(node.params().get(1)),
                symbols.inputGradient(node.input()), backprop.accumulate(step, node.input())).build();
    }
}
