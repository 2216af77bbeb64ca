package dev.residual.bench;

import dev.residual.runtime.interpreter.GraphReader;
import dev.residual.runtime.interpreter.ModelGraph;
import dev.residual.runtime.interpreter.ModelGraph.Node;
import dev.residual.runtime.interpreter.ModelGraph.Shape;

/**
 * Prints a benchmark model's forward FLOPs per sample, counted from its graph resource: {@code 2·F·C·K²·Ho·Wo} per
 * convolution, {@code 2·in·out} per dense layer (per position in a sequence model: {@code 2·in·out·T}), and
 * {@code 4·T²·D} per attention (its {@code q·kᵀ} and {@code p·v} products; its {@code qkv} and {@code proj}
 * projections are dense nodes) — multiply-adds of the matrix products, as peak GFLOP/s counts them; element-wise
 * work (softmax, norms) is left out. {@code compare.sh} uses it for effective GFLOP/s.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.residual.bench.Flops charmodel</pre>
 */
public final class Flops {

    private Flops() {}

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "resnet20";
        System.out.println("FLOPS model=" + model + " forward_per_sample=" + forwardPerSample(
                GraphReader.forClass(Engine.modelClass(model))));
    }

    static long forwardPerSample(ModelGraph graph) {
        long flops = 0;
        for (Node node : graph.nodes()) {
            Shape out = node.shape();
            switch (node.kind()) {
                case CONV -> {
                    int k = node.intAttribute("kernel");
                    long channelsIn = node.params().get(0).shape()[1];
                    flops += 2L * out.channels() * channelsIn * k * k * out.spatial();
                }
                // a sequence's dense layer runs once per position
                case DENSE -> flops += 2L * node.params().get(0).shape()[1] * out.channels() * out.positions();
                // per sequence and head, q·kᵀ (T×T×dh) and p·v (dh×T×T): over the heads, 2 · 2·T²·D
                case ATTENTION -> flops += 4L * out.length() * out.length() * out.channels();
                default -> { }
            }
        }
        return flops;
    }
}
