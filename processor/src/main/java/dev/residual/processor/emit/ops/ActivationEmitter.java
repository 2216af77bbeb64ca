package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/**
 * ReLU and GELU, when no norm or add absorbed them. ReLU's backward masks with its output; GELU's needs its input.
 */
record ActivationEmitter(Op op) implements OpEmitter {

    private String kernel() {
        return switch (op) {
            case Op.Gelu gelu when gelu.tanh() -> "geluTanh";
            case Op.Gelu gelu -> "gelu";
            default -> "relu";
        };
    }

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.input().shape();
        return CodeBlock.builder().addStatement("$T.$L($L, $L, $L, n, $L)", Symbols.kernel("Activations"), kernel(),
                symbols.tensor(node.input()), shape.channels(), shape.spatial(), symbols.tensor(node.output()))
                .build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape shape = node.input().shape();
        // ReLU's derivative is read off its output, GELU's off its input.
        CodeBlock saved = op instanceof Op.Relu ? symbols.tensor(node.output()) : symbols.tensor(node.input());
        return CodeBlock.builder().addStatement("$T.$LBackward($L, $L, $L, $L, n, $L, $L)",
                Symbols.kernel("Activations"), kernel(), saved, symbols.gradient(node.output()), shape.channels(),
                shape.spatial(), symbols.inputGradient(node.input()), backprop.accumulate(step, node.input()))
                .build();
    }
}
