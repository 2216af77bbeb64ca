package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/** ReLU and GELU, when no norm or add absorbed them. */
record ActivationEmitter(Op op) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.input().shape();
        String kernel = switch (op) {
            case Op.Gelu gelu when gelu.tanh() -> "geluTanh";
            case Op.Gelu gelu -> "gelu";
            default -> "relu";
        };
        return CodeBlock.builder().addStatement("$T.$L($L, $L, $L, n, $L)", Symbols.kernel("Activations"), kernel,
                symbols.tensor(node.input()), shape.channels(), shape.spatial(), symbols.tensor(node.output()))
                .build();
    }
}
