package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Op;
import dev.residual.processor.plan.Step;

/**
 * Transposed convolution, the learned upsampling. Its kernel, the runtime's {@code ConvTranspose2d}, takes a
 * convolution's arguments (weight {@code [C, F, K, K]}); inside, the forward is a convolution's input gradient, the
 * backward a convolution forward (input gradient) and a convolution's weight gradient with input and output exchanged.
 */
record ConvTransposeEmitter(Op.ConvTranspose conv) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        return ConvEmitter.forward("ConvTranspose2d", step, symbols, conv.filters(), conv.kernel(), conv.stride(),
                conv.padding(), conv.bias(), false);
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        return ConvEmitter.backward("ConvTranspose2d", step, symbols, backprop, conv.filters(), conv.kernel(),
                conv.stride(), conv.padding(), conv.bias());
    }
}
