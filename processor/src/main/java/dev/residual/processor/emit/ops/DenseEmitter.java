package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/**
 * Dense: one GEMM, {@code out[units × n] = W[units × in] · x[in × n]}; an image input is flattened first, into the
 * scratch area. Backward: {@code dW = dY · xᵀ}, {@code dx = Wᵀ · dY}, unflattened back onto the image.
 */
record DenseEmitter(Op.Dense dense) implements OpEmitter {

    private static boolean flattens(Shape in) {
        return in.image() && in.spatial() > 1;
    }

    /** Input features per column: a whole flattened sample, or one position of a sequence. */
    private static long features(Shape in) {
        return in.size() / in.positions();
    }

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape in = node.input().shape();
        CodeBlock.Builder code = CodeBlock.builder();
        CodeBlock input = symbols.tensor(node.input());
        if (flattens(in)) {
            code.addStatement("$T.flatten($L, $L, $L, $L, n, $L)", Symbols.kernel("Layout"), input, in.channels(),
                    in.height(), in.width(), symbols.scratch());
            input = symbols.scratch();
        }
        code.addStatement("$T.forward(gemm, $L, $L, n, $L, $L, $L, $L)", Symbols.kernel("Dense"), input, features(in),
                symbols.tensor(node.params().get(0)), dense.units(),
                dense.bias() ? symbols.tensor(node.params().get(1)) : Emit.NONE, symbols.tensor(node.output()));
        return code.build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape in = node.input().shape();
        boolean accumulate = backprop.accumulate(step, node.input());
        CodeBlock weight = symbols.tensor(node.params().get(0));
        CodeBlock dWeight = symbols.parameterGradient(node.params().get(0));
        CodeBlock dBias = dense.bias() ? symbols.parameterGradient(node.params().get(1)) : Emit.NONE;
        CodeBlock dOut = symbols.gradient(node.output());
        CodeBlock.Builder code = CodeBlock.builder();
        if (!flattens(in)) {
            code.addStatement("$T.backward(gemm, $L, $L, n, $L, $L, $L, $L, $L, $L, $L)",
                    Symbols.kernel("Dense"), symbols.tensor(node.input()), features(in), weight, dense.units(), dOut,
                    dWeight, dBias, symbols.inputGradient(node.input()), accumulate);
            if (dense.queriesKeysValues() && dense.bias()) {
                code.add("// the keys' bias shifts whole rows of scores, which softmax ignores: its gradient is 0\n");
                code.addStatement("$T.clearKeyBiasGradient($L, $L)", Symbols.kernel("Attention"), dBias,
                        dense.units() / 3);
            }
            return code.build();
        }
        // The forward's flattened copy is gone (scratch is shared): flatten again, take the input gradient in the
        // flat layout beside it, then unflatten it onto the image's gradient.
        boolean inputGradient = !symbols.isModelInput(node.input());
        CodeBlock flatGradient = symbols.scratchAfter(in.size() * symbols.batch());
        code.addStatement("$T.flatten($L, $L, $L, $L, n, $L)", Symbols.kernel("Layout"), symbols.tensor(node.input()),
                in.channels(), in.height(), in.width(), symbols.scratch());
        code.addStatement("$T.backward(gemm, $L, $L, n, $L, $L, $L, $L, $L, $L, false)", Symbols.kernel("Dense"),
                symbols.scratch(), in.size(), weight, dense.units(), dOut, dWeight, dBias,
                inputGradient ? flatGradient : Emit.NONE);
        if (inputGradient) {
            code.addStatement("$T.unflatten($L, $L, $L, $L, n, $L, $L)", Symbols.kernel("Layout"), flatGradient,
                    in.channels(), in.height(), in.width(), symbols.gradient(node.input()), accumulate);
        }
        return code.build();
    }
}
