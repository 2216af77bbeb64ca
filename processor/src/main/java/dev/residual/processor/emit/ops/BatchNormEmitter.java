package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.graph.Value;
import dev.residual.processor.plan.Step;

/**
 * Batch norm, fused in one pass with the residual add and the ReLU that follow it when the planner fused them.
 * Training: batch statistics, saved for the backward, and the running statistics updated with the momentum.
 * Inference: the running statistics. Backward: the full gradient through the batch mean and variance.
 */
record BatchNormEmitter(Op.BatchNorm norm) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.input().shape();
        Node add = step.fusedOf(Op.Add.class);
        boolean relu = step.fusedOf(Op.Relu.class) != null;
        CodeBlock residual = add == null ? Emit.NONE : symbols.tensor(add.inputs().get(1));
        return CodeBlock.builder()
                .beginControlFlow("if (training)")
                .addStatement("$T.trainingForward($L, $L, $L, n, $L, $L, $L, $L, $Lf, $L, $L, $L, $L, $L, $L)",
                        Symbols.kernel("BatchNorm"), symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                        symbols.tensor(node.params().get(0)), symbols.tensor(node.params().get(1)),
                        symbols.tensor(node.params().get(2)), symbols.tensor(node.params().get(3)),
                        (float) norm.momentum(), Emit.floatLiteral(norm.eps()), symbols.saved(node, "MEAN"),
                        symbols.saved(node, "RSTD"), residual, relu, symbols.tensor(step.output()))
                .nextControlFlow("else")
                .addStatement("$T.inference($L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L)", Symbols.kernel("BatchNorm"),
                        symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                        symbols.tensor(node.params().get(0)), symbols.tensor(node.params().get(1)),
                        symbols.tensor(node.params().get(2)), symbols.tensor(node.params().get(3)),
                        Emit.floatLiteral(norm.eps()), residual, relu, symbols.tensor(step.output()))
                .endControlFlow()
                .build();
    }

    /**
     * The backward. When the planner fused a residual add or a ReLU into this step, the norm's own kernel undoes them
     * ({@code BatchNorm.backwardThroughAdd}): the ReLU's mask applied to the gradient in place, and the gradient sent
     * to the shortcut, channel by channel before that channel's sums, with no kernels of their own.
     */
    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape shape = node.input().shape();
        Node add = step.fusedOf(Op.Add.class);
        boolean relu = step.fusedOf(Op.Relu.class) != null;
        if (add == null && !relu) {
            return CodeBlock.builder().addStatement("$T.backward($L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L)",
                    Symbols.kernel("BatchNorm"), symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                    symbols.tensor(node.params().get(0)), symbols.saved(node, "MEAN"), symbols.saved(node, "RSTD"),
                    symbols.gradient(node.output()), symbols.parameterGradient(node.params().get(0)),
                    symbols.parameterGradient(node.params().get(1)), symbols.inputGradient(node.input()),
                    backprop.accumulate(step, node.input())).build();
        }
        Value shortcut = add == null ? null : add.inputs().get(1);
        return CodeBlock.builder().addStatement(
                "$T.backwardThroughAdd($L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                Symbols.kernel("BatchNorm"), symbols.tensor(node.input()), shape.channels(), shape.spatial(),
                symbols.tensor(node.params().get(0)), symbols.saved(node, "MEAN"), symbols.saved(node, "RSTD"),
                symbols.gradient(step.output()), relu ? symbols.tensor(step.output()) : Emit.NONE,
                shortcut == null ? Emit.NONE : symbols.gradient(shortcut),
                shortcut != null && backprop.accumulate(step, shortcut),
                symbols.parameterGradient(node.params().get(0)), symbols.parameterGradient(node.params().get(1)),
                symbols.inputGradient(node.input()), backprop.accumulate(step, node.input())).build();
    }
}
