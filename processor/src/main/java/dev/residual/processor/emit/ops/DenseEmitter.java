package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/** Dense: one GEMM, {@code out[units × n] = W[units × in] · x[in × n]}; an image input is flattened first. */
record DenseEmitter(Op.Dense dense) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape in = node.input().shape();
        CodeBlock.Builder code = CodeBlock.builder();
        CodeBlock input = symbols.tensor(node.input());
        if (in.image() && in.spatial() > 1) {
            code.addStatement("$T.flatten($L, $L, $L, $L, n, $L)", Symbols.kernel("Layout"), input, in.channels(),
                    in.height(), in.width(), symbols.scratch());
            input = symbols.scratch();
        }
        code.addStatement("$T.forward(gemm, $L, $L, n, $L, $L, $L, $L)", Symbols.kernel("Dense"), input, in.size(),
                symbols.tensor(node.params().get(0)), dense.units(),
                dense.bias() ? symbols.tensor(node.params().get(1)) : Emit.NONE, symbols.tensor(node.output()));
        return code.build();
    }
}
