package dev.residual.processor.plan;

import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Value;
import java.util.List;
import java.util.stream.Stream;

/**
 * One kernel call of the forward pass: a head node and the element-wise nodes fused into it (a batch norm may absorb
 * the residual add and the activation after it; an add may absorb its activation). The step writes only
 * {@link #output()}; the values of the absorbed nodes live in the same memory.
 */
public record Step(Node head, List<Node> fused) {

    /** The value this step leaves in memory. */
    public Value output() {
        return fused.isEmpty() ? head.output() : fused.getLast().output();
    }

    /** The values this step sends gradients to: its head's inputs, and the shortcut of a fused residual add. */
    public List<Value> inputsWithGradient() {
        Node add = fusedOf(Op.Add.class);
        if (add != null) {
            return List.of(head.input(), add.inputs().get(1));
        }
        return head.inputs();
    }

    /** The values this step holds: its head's output and those of the nodes fused into it. */
    public List<Value> values() {
        return Stream.concat(Stream.of(head), fused.stream()).map(Node::output).toList();
    }

    /** The fused node of a given op type, or null. */
    public Node fusedOf(Class<?> opType) {
        return fused.stream().filter(node -> opType.isInstance(node.op())).findFirst().orElse(null);
    }
}
