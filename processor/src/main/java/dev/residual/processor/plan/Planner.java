package dev.residual.processor.plan;

import dev.residual.processor.graph.Graph;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Param;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.graph.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Step 4 of the pipeline: fuses element-wise nodes into the kernel call before them and lays out the three memory
 * blocks. Every value keeps its own memory (planned for the largest batch) so that each layer's output stays
 * readable after a forward pass and is there for the backward pass; only fused values share. Gradients reuse memory
 * along the backward pass ({@link GradientSlots}).
 */
public final class Planner {

    public MemoryPlan plan(Graph graph) {
        List<Step> steps = fuse(graph);
        Map<Param, Long> parameters = new LinkedHashMap<>();
        Map<Param, Long> buffers = new LinkedHashMap<>();
        long parameterFloats = 0, bufferFloats = 0;
        for (Param param : graph.params()) {
            if (param.trainable()) {
                parameters.put(param, parameterFloats);
                parameterFloats += MemoryPlan.align(param.size());
            } else {
                buffers.put(param, bufferFloats);
                bufferFloats += MemoryPlan.align(param.size());
            }
        }
        long batch = graph.batch();
        Map<Value, Long> activations = new LinkedHashMap<>();
        long floats = MemoryPlan.align(batch * graph.input().shape().size());
        activations.put(graph.input(), 0L);
        for (Step step : steps) {
            long offset = floats;
            floats += MemoryPlan.align(batch * step.output().shape().size());
            activations.put(step.head().output(), offset);
            for (Node fused : step.fused()) {
                activations.put(fused.output(), offset);
            }
        }
        GradientSlots.Layout gradientLayout = GradientSlots.plan(graph, steps, floats);
        Map<Value, Long> gradients = gradientLayout.offsets();
        floats = gradientLayout.end();
        Map<Node, Long> saved = new LinkedHashMap<>();
        long scratch = 0;
        for (Step step : steps) {
            long statistics = savedFloats(step.head(), graph.batch());
            if (statistics > 0) {
                saved.put(step.head(), floats);
                floats += 2 * MemoryPlan.align(statistics);
            }
            scratch = Math.max(scratch, scratchFloats(step.head(), graph.batch()));
        }
        // Scratch comes last: its size also depends on the convolution kernels' own needs, which the generated class
        // adds at class load (Conv2d.scratchSize), so nothing else may sit behind it.
        long stagedInput = floats;
        floats += MemoryPlan.align(batch * graph.input().shape().size());
        long stagedOutput = floats;
        floats += MemoryPlan.align(batch * graph.output().shape().size());
        long scratchOffset = floats;
        floats += MemoryPlan.align(scratch);
        return new MemoryPlan(graph, steps, parameters, parameterFloats, buffers, bufferFloats, activations,
                gradients, saved, scratchOffset, MemoryPlan.align(scratch), stagedInput, stagedOutput, floats);
    }

    /** Floats a norm saves per statistic for its backward: batch norm per channel, layer norm per sample, group norm per sample and group. */
    static long savedFloats(Node node, int batch) {
        return switch (node.op()) {
            case Op.BatchNorm norm -> node.input().shape().channels();
            case Op.LayerNorm norm -> (long) batch * node.input().shape().positions(); // per position of a sequence
            case Op.GroupNorm norm -> (long) batch * norm.groups();
            default -> 0;
        };
    }

    /**
     * Floats of scratch a node needs that the planner knows: the flattened input (and its gradient) of a dense layer,
     * attention's scores, a sequence's layer norm's sums.
     * A convolution's im2col scratch is the kernel's own business: the generated class asks {@code Conv2d.scratchSize}
     * at class load, the one place that knows how the kernel chunks its work.
     */
    public static long scratchFloats(Node node, int batch) {
        Shape in = node.input().shape();
        return switch (node.op()) {
            // the flattened input, and the flattened input gradient beside it
            case Op.Dense dense when in.image() && in.spatial() > 1 -> 2 * MemoryPlan.align(in.size() * batch);
            // the scores of one sequence and head, and their gradient (Attention.scratchFloats)
            case Op.Attention attention -> 2L * in.length() * in.length();
            // two running sums per position for the backward's row sweep (LayerNorm.backwardScratchFloats)
            case Op.LayerNorm norm when in.sequence() -> 2L * batch * in.length();
            default -> 0;
        };
    }

    /**
     * Groups nodes into kernel calls: batch norm → [add] → [activation], and add → [activation], when each absorbed
     * node is the only reader of the value before it.
     */
    static List<Step> fuse(Graph graph) {
        Map<Value, Integer> readers = new HashMap<>();
        for (Node node : graph.nodes()) {
            for (Value input : node.inputs()) {
                readers.merge(input, 1, Integer::sum);
            }
        }
        List<Node> nodes = graph.nodes();
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node head = nodes.get(i);
            List<Node> fused = new ArrayList<>();
            if (head.op() instanceof Op.BatchNorm || head.op() instanceof Op.Add) {
                Node last = head;
                if (head.op() instanceof Op.BatchNorm && absorbs(nodes, i + 1, last, readers, graph, Op.Add.class)) {
                    last = nodes.get(++i);
                    fused.add(last);
                }
                if (absorbs(nodes, i + 1, last, readers, graph, Op.Relu.class)) {
                    fused.add(nodes.get(++i));
                }
            }
            steps.add(new Step(head, List.copyOf(fused)));
        }
        return steps;
    }

    /** Whether node {@code index} is of the given type, reads {@code previous}'s output first, and is its only reader. */
    private static boolean absorbs(List<Node> nodes, int index, Node previous, Map<Value, Integer> readers,
                                   Graph graph, Class<? extends Op> type) {
        if (index >= nodes.size()) {
            return false;
        }
        Node next = nodes.get(index);
        return type.isInstance(next.op()) && next.input().equals(previous.output())
                && readers.getOrDefault(previous.output(), 0) == 1 && !previous.output().equals(graph.output())
                && !isLayerOutput(graph, previous.output());
    }

    private static boolean isLayerOutput(Graph graph, Value value) {
        return graph.layers().stream().anyMatch(layer -> layer.output().equals(value));
    }
}
