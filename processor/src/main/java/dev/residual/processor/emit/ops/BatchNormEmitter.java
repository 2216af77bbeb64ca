package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/**
 * Batch norm, inference: the running statistics, fused in one pass with the residual add and the ReLU that follow it
 * when the planner fused them.
 */
record BatchNormEmitter(Op.BatchNorm norm) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.input().shape();
        Node add = step.fusedOf(Op.Add.class);
        boolean relu = step.fusedOf(Op.Relu.class) != null;
        return CodeBlock.builder().addStatement(
                "$T.inference($L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L)", Symbols.kernel("BatchNorm"),
                symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                symbols.tensor(node.params().get(0)), symbols.tensor(node.params().get(1)),
                symbols.tensor(node.params().get(2)), symbols.tensor(node.params().get(3)),
                Emit.floatLiteral(norm.eps()), add == null ? Emit.NONE : symbols.tensor(add.inputs().get(1)), relu,
                symbols.tensor(step.output())).build();
    }
}
