package dev.residual.processor.emit;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.graph.Graph;
import dev.residual.processor.graph.Node;
import dev.residual.processor.graph.Op;
import dev.residual.processor.graph.Param;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.plan.MemoryPlan;
import dev.residual.processor.read.ModelSpec;
import java.util.List;
import java.util.Locale;

/** The Javadoc of generated classes: shapes, parameter counts, FLOPs and memory, so the IDE shows the contract. */
final class Javadocs {

    private Javadocs() {}

    static CodeBlock model(ModelSpec spec, MemoryPlan plan) {
        Graph graph = plan.graph();
        CodeBlock.Builder doc = CodeBlock.builder();
        doc.add("The network declared by {@link $L}, compiled by Residual.\n\n", spec.element().getSimpleName());
        if (spec.plain()) {
            doc.add("<p>The plain twin: every residual block without its add and shortcut, {@code act(F(x))}.\n\n");
        }
        if (graph.input().shape().sequence()) {
            doc.add("<p>Input: $L per sample (whole numbers in {@code [0, VOCABULARY)}, as floats), sequence by\n"
                    + "sequence. Output: $L logits per position, a row per position. Fixed at compile time: every\n",
                    tokens(graph.input().shape()), graph.output().shape().channels());
        } else {
            doc.add("<p>Input: $L per sample, in N·C·H·W order. Output: $L per sample. Fixed at compile time: every\n",
                    graph.input().shape(), graph.output().shape());
        }
        doc.add("shape but the batch; any {@code n ≤ BATCH} ($L) runs. One instance is used by one thread at a time.\n\n",
                graph.batch());
        doc.add("<table>\n<caption>Layers</caption>\n");
        doc.add("<tr><th>layer</th><th>output</th><th>parameters</th><th>GEMM FLOPs per sample</th></tr>\n");
        long totalFlops = 0;
        for (Graph.Layer layer : graph.layers()) {
            long flops = flops(layer.nodes());
            totalFlops += flops;
            doc.add("<tr><td>$L</td><td>$L</td><td>$L</td><td>$L</td></tr>\n", layer.name(), layer.output().shape(),
                    count(parameterCount(layer.nodes())), count(flops));
        }
        doc.add("</table>\n\n");
        long trainable = graph.params().stream().filter(Param::trainable).mapToLong(Param::size).sum();
        doc.add("<p>Parameters: $L. FLOPs per sample (forward GEMMs): $L.\n\n", count(trainable), count(totalFlops));
        doc.add("<p>Memory, each block 64-byte aligned and every tensor at a 64-byte-aligned constant offset:\n<ul>\n");
        doc.add("<li>parameters: $L bytes</li>\n", count(plan.parameterFloats() * 4));
        doc.add("<li>buffers (running statistics): $L bytes</li>\n", count(plan.bufferFloats() * 4));
        doc.add("<li>activations for $L samples, their gradients and staging: $L bytes, plus the $L scratch "
                + "({@link #ACTIVATION_FLOATS})</li>\n</ul>\n", graph.batch(), count(plan.activationFloats() * 4),
                graph.input().shape().sequence() ? "attention and layer norms'" : "convolutions'");
        return doc.build();
    }

    static CodeBlock forward(Shape in, Shape out) {
        return CodeBlock.builder()
                .add("Runs the network on {@code n} samples (inference: batch norms use their running statistics).\n")
                .add("Allocates nothing.\n\n")
                .add("@param n      samples, from 1 to {@link #BATCH}\n")
                .add("@param input  {@code n} samples of $L, in N·C·H·W order\n", in)
                .add("@param output receives {@code n} samples of $L\n", out)
                .build();
    }

    static CodeBlock trainStep(Shape in, Shape out) {
        return CodeBlock.builder()
                .add("One training step on {@code n} samples: the forward pass with batch statistics (running\n")
                .add("statistics updated), softmax cross-entropy against {@code labels}, the backward pass into the\n")
                .add("gradient block, and the optimizer's update of the parameter block. Allocates nothing.\n\n")
                .add("@param n      samples, from 1 to {@link #BATCH}\n")
                .add("@param input  {@code n} samples of $L, in N·C·H·W order\n", in)
                .add("@param labels the class of each sample, from 0 to $L\n", out.channels() - 1)
                .add("@return the mean loss of the batch, before the update\n")
                .add("@throws IllegalArgumentException for a label out of range, naming the sample and the value\n")
                .add("@throws ArithmeticException when the loss or a gradient is not finite; the parameters are then"
                        + " left as they were\n")
                .build();
    }

    static CodeBlock pixelTrainStep(Shape in, Shape out) {
        return CodeBlock.builder()
                .add("One training step on {@code n} samples: the forward pass with batch statistics (running\n")
                .add("statistics updated), softmax cross-entropy at every pixel of the $L class scores against\n", out)
                .add("{@code labels}, the backward pass into the gradient block, and the optimizer's update of the\n")
                .add("parameter block. Allocates nothing.\n\n")
                .add("@param n      samples, from 1 to {@link #BATCH}\n")
                .add("@param input  {@code n} samples of $L, in N·C·H·W order\n", in)
                .add("@param labels the class of each pixel, from 0 to $L: {@code n × $L × $L}, sample by sample,\n",
                        out.channels() - 1, out.height(), out.width())
                .add("              row by row\n")
                .add("@return the mean loss over the {@code n·$L} pixels, before the update\n", out.spatial())
                .add("@throws IllegalArgumentException for a label out of range, naming its position and value\n")
                .add("@throws ArithmeticException when the loss or a gradient is not finite; the parameters are then"
                        + " left as they were\n")
                .build();
    }

    static CodeBlock layer(Graph graph, Graph.Layer layer) {
        boolean readsTokens = layer == graph.layers().getFirst() && graph.input().shape().sequence();
        CodeBlock.Builder doc = CodeBlock.builder();
        doc.add("{@code $L}: $L → $L. Parameters: $L; GEMM FLOPs per sample: $L.\n", layer.name(),
                readsTokens ? tokens(layer.inputShape()) : layer.inputShape(), layer.output().shape(),
                count(parameterCount(layer.nodes())), count(flops(layer.nodes())));
        return doc.build();
    }

    /** A sequence model's input: token ids, one per position, rather than a feature per position. */
    static String tokens(Shape input) {
        return input.length() + " token ids";
    }

    static CodeBlock block(Graph.Layer layer, int index, List<Node> nodes) {
        Shape in = nodes.getFirst().input().shape(), out = nodes.getLast().output().shape();
        return CodeBlock.of("Block $L of {@code $L}: $L → $L. Parameters: $L; GEMM FLOPs per sample: $L.\n", index,
                layer.name(), in, out, count(parameterCount(nodes)), count(flops(nodes)));
    }

    private static long parameterCount(List<Node> nodes) {
        return nodes.stream().flatMap(node -> node.params().stream()).filter(Param::trainable)
                .mapToLong(Param::size).sum();
    }

    /** Multiply-adds of the GEMMs, counted as two FLOPs each. */
    static long flops(List<Node> nodes) {
        long flops = 0;
        for (Node node : nodes) {
            Shape in = node.input().shape(), out = node.output().shape();
            if (node.op() instanceof Op.Conv conv) {
                flops += 2L * out.size() * in.channels() * conv.kernel() * conv.kernel();
            } else if (node.op() instanceof Op.Dense) {
                flops += 2L * in.size() * out.size() / out.positions(); // a sequence: the same weights per position
            } else if (node.op() instanceof Op.ConvTranspose conv) {
                flops += 2L * in.size() * conv.filters() * conv.kernel() * conv.kernel();
            } else if (node.op() instanceof Op.Attention) {
                flops += 4L * out.length() * out.length() * out.channels(); // q·kᵀ and p·v
            }
        }
        return flops;
    }

    private static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
