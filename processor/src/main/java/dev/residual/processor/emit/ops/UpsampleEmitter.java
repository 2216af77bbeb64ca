package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/** Nearest upsampling: each pixel copied to a square; backward sums each square's gradient onto its pixel. */
record UpsampleEmitter(Op.Upsample upsample) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape in = node.input().shape();
        return CodeBlock.builder().addStatement("$T.nearest($L, $L, $L, $L, n, $L, $L)", Symbols.kernel("Upsample"),
                symbols.tensor(node.input()), in.channels(), in.height(), in.width(), upsample.scale(),
                symbols.tensor(node.output())).build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape in = node.input().shape();
        return CodeBlock.builder().addStatement("$T.nearestBackward($L, $L, $L, $L, n, $L, $L, $L)",
                Symbols.kernel("Upsample"), symbols.gradient(node.output()), in.channels(), in.height(), in.width(),
                upsample.scale(), symbols.inputGradient(node.input()), backprop.accumulate(step, node.input()))
                .build();
    }
}
