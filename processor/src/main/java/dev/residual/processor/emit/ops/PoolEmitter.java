package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.Step;

/** Max, average and global average pooling; max pooling's backward finds the argmax again from the input. */
record PoolEmitter(Op op) implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape in = node.input().shape();
        CodeBlock.Builder code = CodeBlock.builder();
        switch (op) {
            case Op.MaxPool pool -> code.addStatement("$T.maxPool($L, $L, $L, $L, n, $L, $L, $L, $L)",
                    Symbols.kernel("Pooling"), symbols.tensor(node.input()), in.channels(), in.height(), in.width(),
                    pool.size(), pool.stride(), pool.padding(), symbols.tensor(node.output()));
            case Op.AvgPool pool -> code.addStatement("$T.averagePool($L, $L, $L, $L, n, $L, $L, $L, $L)",
                    Symbols.kernel("Pooling"), symbols.tensor(node.input()), in.channels(), in.height(), in.width(),
                    pool.size(), pool.stride(), pool.padding(), symbols.tensor(node.output()));
            default -> code.addStatement("$T.globalAveragePool($L, $L, $L, n, $L)", Symbols.kernel("Pooling"),
                    symbols.tensor(node.input()), in.channels(), in.spatial(), symbols.tensor(node.output()));
        }
        return code.build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape in = node.input().shape();
        boolean accumulate = backprop.accumulate(step, node.input());
        CodeBlock dOut = symbols.gradient(node.output()), dIn = symbols.inputGradient(node.input());
        CodeBlock.Builder code = CodeBlock.builder();
        switch (op) {
            case Op.MaxPool pool -> code.addStatement("$T.maxPoolBackward($L, $L, $L, $L, n, $L, $L, $L, $L, $L, $L)",
                    Symbols.kernel("Pooling"), symbols.tensor(node.input()), in.channels(), in.height(), in.width(),
                    pool.size(), pool.stride(), pool.padding(), dOut, dIn, accumulate);
            case Op.AvgPool pool -> code.addStatement("$T.averagePoolBackward($L, $L, $L, n, $L, $L, $L, $L, $L, $L)",
                    Symbols.kernel("Pooling"), in.channels(), in.height(), in.width(), pool.size(), pool.stride(),
                    pool.padding(), dOut, dIn, accumulate);
            default -> code.addStatement("$T.globalAveragePoolBackward($L, $L, n, $L, $L, $L)",
                    Symbols.kernel("Pooling"), in.channels(), in.spatial(), dOut, dIn, accumulate);
        }
        return code.build();
    }
}
