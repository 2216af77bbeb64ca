package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/**
 * Convolution. The kernel is chosen per layer from its shape, which the processor knows: a 3×3, stride-1,
 * padding-1 convolution without bias and with at least {@value #WINOGRAD_MIN_CHANNELS} input and output channels runs
 * forward and input gradient through {@code Winograd3x3} (F(2×2, 3×3): no im2col copy, 2.25 times fewer
 * multiplications), keeping im2col and one GEMM for its weight gradient; every other
 * convolution goes through {@code Conv2d}: im2col (skipped for 1×1 stride 1) and one GEMM forward, the weight
 * gradient {@code dY · colᵀ} and the input gradient as a transposed convolution or {@code col2im(Wᵀ · dY)}.
 */
public record ConvEmitter(Op.Conv conv) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape in = node.input().shape();
        if (winograd(conv, in)) {
            return CodeBlock.builder().addStatement("$T.forward(gemm, $L, $L, $L, $L, n, $L, $L, $L, $L)",
                    Symbols.kernel("Winograd3x3"), symbols.tensor(node.input()), in.channels(), in.height(),
                    in.width(), symbols.tensor(node.params().get(0)), conv.filters(), symbols.tensor(node.output()),
                    symbols.scratch()).build();
        }
        return forward("Conv2d", step, symbols, conv.filters(), conv.kernel(), conv.stride(), conv.padding(),
                conv.bias());
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape in = node.input().shape();
        CodeBlock dIn = symbols.inputGradient(node.input());
        boolean winogradInput = winograd(conv, in) && !dIn.equals(Emit.NONE);
        CodeBlock.Builder code = CodeBlock.builder().add(backward("Conv2d", step, symbols, backprop, conv.filters(),
                conv.kernel(), conv.stride(), conv.padding(), conv.bias(), winogradInput ? Emit.NONE : dIn));
        if (winogradInput) {
            code.addStatement("$T.backwardData(gemm, $L, $L, $L, $L, n, $L, $L, $L, $L, $L)",
                    Symbols.kernel("Winograd3x3"), symbols.gradient(node.output()), in.channels(), in.height(),
                    in.width(), symbols.tensor(node.params().get(0)), conv.filters(), dIn,
                    backprop.accumulate(step, node.input()), symbols.scratch());
        }
        return code.build();
    }

    /**
     * The scratch this layer's kernels ask for at the planned batch, an expression of the generated class:
     * {@code Winograd3x3.scratchSize} for a Winograd layer, else {@code Conv2d.scratchSize}.
     */
    public static CodeBlock scratchSize(Op.Conv conv, Shape in) {
        // Winograd3x3's size covers the Conv2d calls of the weight gradient and of batches too small for it.
        return CodeBlock.of("$T.scratchSize($L, $L, $L, $L, $L)", Symbols.kernel(winograd(conv, in) ? "Winograd3x3"
                : "Conv2d"), in.channels(), in.height(), in.width(), conv.filters(),
                winograd(conv, in) ? "BATCH" : CodeBlock.of("$L, $L, $L, BATCH", conv.kernel(), conv.stride(),
                        conv.padding()));
    }

    /**
     * The fewest input and output channels for which {@code Winograd3x3} beats im2col: its 16 products have the
     * channel counts as depth and height, and thin ones run far below the GEMM's speed while the transforms cost the
     * same. Measured per call at batch 128, 28×28, one thread (CPU time, forward and input gradient, on a loaded
     * machine): 16 → 16 channels 1.3 times faster with Winograd, 12 → 12 1.3 times; 8 → 8, 8 → 16 and 16 → 8 1.0 to
     * 1.35 times slower; 1 → 16 (a stem) 4 times slower. 16 is the narrowest ResNet layer and clear of the losses.
     */
    static final int WINOGRAD_MIN_CHANNELS = 16;

    /** Whether forward and input gradient go through {@code Winograd3x3}: see the class comment. */
    static boolean winograd(Op.Conv conv, Shape in) {
        return conv.kernel() == 3 && conv.stride() == 1 && conv.padding() == 1 && !conv.bias()
                && in.channels() >= WINOGRAD_MIN_CHANNELS && conv.filters() >= WINOGRAD_MIN_CHANNELS;
    }

    /**
     * The forward call of a convolution kernel class ({@code Conv2d}, {@code ConvTranspose2d}): both take the same
     * arguments — input and its geometry, weight, filters, kernel, stride, padding, bias, output, scratch.
     */
    static CodeBlock forward(String kernelClass, Step step, Symbols symbols, int filters, int kernel, int stride,
                             int padding, boolean bias) {
        Node node = step.head();
        Shape in = node.input().shape();
        return CodeBlock.builder().addStatement("$T.forward(gemm, $L, $L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L)",
                Symbols.kernel(kernelClass), symbols.tensor(node.input()), in.channels(), in.height(), in.width(),
                symbols.tensor(node.params().get(0)), filters, kernel, stride, padding,
                bias ? symbols.tensor(node.params().get(1)) : Emit.NONE, symbols.tensor(node.output()),
                symbols.scratch()).build();
    }

    /**
     * The backward call of a convolution kernel class, whose arguments follow the forward's; {@code inputGradient} is
     * where the input's gradient goes, or {@code Emit.NONE} when another kernel (or nobody) computes it.
     */
    static CodeBlock backward(String kernelClass, Step step, Symbols symbols, Backprop backprop, int filters,
                              int kernel, int stride, int padding, boolean bias, CodeBlock inputGradient) {
        Node node = step.head();
        Shape in = node.input().shape();
        return CodeBlock.builder().addStatement(
                "$T.backward(gemm, $L, $L, $L, $L, n, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L, $L)",
                Symbols.kernel(kernelClass), symbols.tensor(node.input()), in.channels(), in.height(), in.width(),
                symbols.tensor(node.params().get(0)), filters, kernel, stride, padding,
                symbols.gradient(node.output()), symbols.parameterGradient(node.params().get(0)),
                bias ? symbols.parameterGradient(node.params().get(1)) : Emit.NONE,
                inputGradient, backprop.accumulate(step, node.input()), symbols.scratch())
                .build();
    }
}
