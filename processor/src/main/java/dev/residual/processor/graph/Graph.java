package dev.residual.processor.graph;

import java.util.List;

/**
 * Step 3's result: the model as a DAG of values and nodes, in an order where every node comes after the nodes it
 * reads (the order they run), with every shape inferred.
 *
 * @param name   the model interface's simple name
 * @param batch  the largest batch
 * @param input  the model input
 * @param output the model output
 * @param nodes  every node, in execution order
 * @param layers the user's layer methods, in declaration order, with the nodes each owns
 */
public record Graph(String name, int batch, Value input, Value output, List<Node> nodes, List<Layer> layers) {

    /**
     * One user method: its nodes, and for a {@code @Residual} stage, its blocks.
     *
     * @param blocks for a residual stage, the nodes of each block in order (each block's last node is its output);
     *               empty otherwise
     */
    public record Layer(String name, Shape inputShape, Value output, List<Node> nodes, List<List<Node>> blocks) {}

    /** Every parameter and buffer, in execution order. */
    public List<Param> params() {
        return nodes.stream().flatMap(node -> node.params().stream()).toList();
    }
}
