package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Backprop;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.graph.Value;
import dev.residual.processor.plan.Step;

/**
 * The residual add of branch and shortcut, with the ReLU after it fused when the planner fused it. Backward: the
 * same gradient flows to both — added to whatever the skip's other reader already sent, never overwriting it.
 */
record AddEmitter() implements OpEmitter {

    @Override
    public CodeBlock forward(Step step, Symbols symbols) {
        Node node = step.head();
        Shape shape = node.output().shape();
        boolean relu = step.fusedOf(Op.Relu.class) != null;
        return CodeBlock.builder().addStatement("$T.addRelu($L, $L, $L, $L, n, $L, $L)",
                Symbols.kernel("Elementwise"), symbols.tensor(node.inputs().get(0)),
                symbols.tensor(node.inputs().get(1)), shape.channels(), shape.spatial(), relu,
                symbols.tensor(step.output())).build();
    }

    @Override
    public CodeBlock backward(Step step, Symbols symbols, Backprop backprop) {
        Node node = step.head();
        Shape shape = node.output().shape();
        CodeBlock.Builder code = CodeBlock.builder();
        for (Value input : node.inputs()) {
            code.add(Emit.sendGradient(symbols, node.output(), input, shape, backprop.accumulate(step, input)));
        }
        return code.build();
    }
}
