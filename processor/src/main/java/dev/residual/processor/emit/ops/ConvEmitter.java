package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/**
 * Convolution. Forward: im2col (skipped for 1×1 stride 1) and one GEMM, then the bias. Backward: the weight
 * gradient {@code dY · colᵀ}, the input gradient {@code col2im(Wᵀ · dY)}. A layer with a kernel larger than 1×1 calls
 * the runtime's {@code DirectConv2d} instead, which picks a direct kernel for the shapes and batches where one pays
 * (when the JVM has the Vector API), and is {@code Conv2d} otherwise.
 */
record ConvEmitter(Op.Conv conv) implements OpEmitter {

    /** The runtime class this layer calls: {@code DirectConv2d} for the kernel sizes it may compute directly. */
    private String kernelClass() {
        return conv.kernel() > 1 ? "DirectConv2d" : "Conv2d";
    }

    /**
     * {@code DirectConv2d} is also told the weights' version ({@code weightsVersion()}), so that its kernels reuse
     * each layer's packed weights without comparing them while the model has not changed them.
     */
    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        return forward(kernelClass(), step, symbols, conv.filters(), conv.kernel(), conv.stride(), conv.padding(),
                conv.bias(), conv.kernel() > 1);
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        return backward(kernelClass(), step, symbols, backprop, conv.filters(), conv.kernel(), conv.stride(),
                conv.padding(), conv.bias());
    }

    /**
     * The forward call of a convolution kernel class ({@code Conv2d}, {@code DirectConv2d}, {@code ConvTranspose2d}):
     * all take the same arguments — input and its geometry, weight, filters, kernel, stride, padding, bias, output,
     * scratch — and {@code DirectConv2d} ({@code versioned}) the weights' version last.
     */
    static CodeBlock forward(String kernelClass, Step step, Symbols symbols, int filters, int kernel, int stride,
                             int padding, boolean bias, boolean versioned) {
        Node node = step.head();
        Shape in = node.input().shape();
        return CodeBlock.builder().addStatement("$T.forward(gemm, $L, $L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L$L)",
                Symbols.kernel(kernelClass), symbols.tensor(node.input()), in.channels(), in.height(), in.width(),
                symbols.tensor(node.params().get(0)), filters, kernel, stride, padding,
                bias ? symbols.tensor(node.params().get(1)) : Emit.NONE, symbols.tensor(node.output()),
                symbols.scratch(), versioned ? ", weightsVersion()" : "").build();
    }

    /** The backward call of a convolution kernel class, whose arguments follow the forward's. */
    static CodeBlock backward(String kernelClass, Step step, Symbols symbols, Backprop backprop, int filters,
                              int kernel, int stride, int padding, boolean bias) {
        Node node = step.head();
        Shape in = node.input().shape();
        return CodeBlock.builder().addStatement(
                "$T.backward(gemm, $L, $L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                Symbols.kernel(kernelClass), symbols.tensor(node.input()), in.channels(), in.height(), in.width(),
                symbols.tensor(node.params().get(0)), filters, kernel, stride, padding,
                symbols.gradient(node.output()), symbols.parameterGradient(node.params().get(0)),
                bias ? symbols.parameterGradient(node.params().get(1)) : Emit.NONE,
                symbols.inputGradient(node.input()), backprop.accumulate(step, node.input()), symbols.scratch())
                .build();
    }
}
