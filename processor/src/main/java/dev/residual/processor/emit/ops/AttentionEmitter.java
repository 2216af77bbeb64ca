package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/**
 * Scaled dot-product attention between the {@code qkv} and {@code proj} dense layers; its {@code T×T} scores live in
 * the planned scratch. The kernel works per sequence, so it gets {@code n / T} ({@code n} counts positions).
 */
record AttentionEmitter(Op.Attention attention) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape out = node.output().shape();
        return CodeBlock.builder().addStatement("$T.forward(gemm, $L, $L, $L, $L, n / $L, $L, $L, $L)",
                Symbols.kernel("Attention"), symbols.tensor(node.input()), out.channels(), attention.heads(),
                out.length(), out.length(), attention.causal(), symbols.scratch(), symbols.tensor(node.output()))
                .build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape out = node.output().shape();
        return CodeBlock.builder().addStatement("$T.backward(gemm, $L, $L, $L, $L, n / $L, $L, $L, $L, $L, $L)",
                Symbols.kernel("Attention"), symbols.tensor(node.input()), out.channels(), attention.heads(),
                out.length(), out.length(), attention.causal(), symbols.gradient(node.output()), symbols.scratch(),
                symbols.inputGradient(node.input()), backprop.accumulate(step, node.input())).build();
    }
}
