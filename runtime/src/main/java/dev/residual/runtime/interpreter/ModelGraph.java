package dev.residual.runtime.interpreter;

import dev.residual.runtime.model.ParameterSpec;
import java.util.List;
import java.util.Map;

/**
 * A model graph as the processor writes it beside a generated class ({@code <GeneratedClass>.graph}, read by
 * {@link GraphReader}): the input, every node in execution order with its attributes and parameters, the output.
 * Values are numbered from 0 (the input); each node produces one.
 *
 * @param model     the model interface's simple name
 * @param className the generated class's simple name
 * @param batch     the largest batch
 * @param input     the id of the input value
 * @param inputShape one input sample's shape
 * @param nodes     every node, in execution order
 * @param output    the id of the output value
 * @param pixelLoss whether training takes a class per pixel of an image output ({@code loss pixel_cross_entropy});
 *                  otherwise a class per sample (per position of a sequence)
 */
public record ModelGraph(String model, String className, int batch, int input, Shape inputShape, List<Node> nodes,
                         int output, boolean pixelLoss) {

    /** The file name of a generated class's graph resource. */
    public static String resourceName(String generatedClassSimpleName) {
        return generatedClassSimpleName + ".graph";
    }

    /** Every parameter and buffer, in the order the generated class lays them out. */
    public List<Param> params() {
        return nodes.stream().flatMap(node -> node.params().stream()).toList();
    }

    /** The shape of the output value. */
    public Shape outputShape() {
        return nodes.stream().filter(node -> node.output() == output).map(Node::shape).findFirst()
                .orElse(inputShape);
    }

    /** Values in the graph: the input and one per node. */
    public int valueCount() {
        return nodes.size() + 1;
    }

    /**
     * One sample's shape: an image {@code C×H×W}, a vector of {@code C} features ({@code H = W = 1}), or a sequence
     * of {@code length} positions of {@code C} features each. A sequence is run as {@code n·length} vectors — as the
     * generated class stores it, one column per position — so {@link #size} counts one position's floats.
     */
    public record Shape(int channels, int height, int width, boolean image, int length) {

        /** An image or a vector. */
        public Shape(int channels, int height, int width, boolean image) {
            this(channels, height, width, image, 0);
        }

        /** A sequence of {@code length} positions of {@code channels} features. */
        public static Shape sequence(int length, int channels) {
            return new Shape(channels, 1, 1, false, length);
        }

        public boolean sequence() {
            return length > 0;
        }

        /** Columns one sample occupies: its positions for a sequence, else 1. */
        public int positions() {
            return sequence() ? length : 1;
        }

        /** Floats per column (one position of a sequence). */
        public long size() {
            return (long) channels * height * width;
        }

        public int spatial() {
            return height * width;
        }

        @Override
        public String toString() {
            if (sequence()) {
                return "sequence:" + length + "," + channels;
            }
            return image ? "image:" + channels + "," + height + "," + width : "vector:" + channels;
        }
    }

    /** What a node computes; each kind names the attributes it needs and how many parameters it has. */
    public enum Kind {
        CONV("conv", List.of("filters", "kernel", "stride", "padding", "bias")),
        BATCH_NORM("batch_norm", List.of("eps", "momentum")),
        LAYER_NORM("layer_norm", List.of("eps")),
        GROUP_NORM("group_norm", List.of("groups", "eps")),
        RELU("relu", List.of()),
        GELU("gelu", List.of("tanh")),
        MAX_POOL("max_pool", List.of("size", "stride", "padding")),
        AVG_POOL("avg_pool", List.of("size", "stride", "padding")),
        GLOBAL_AVG_POOL("global_avg_pool", List.of()),
        DENSE("dense", List.of("units", "bias")),
        ADD("add", List.of()),
        EMBEDDING("embedding", List.of("vocabulary", "dim")),
        POSITIONAL_EMBEDDING("positional_embedding", List.of()),
        ATTENTION("attention", List.of("heads", "causal")),
        CONCAT("concat", List.of()),
        UPSAMPLE("upsample", List.of("scale")),
        CONV_TRANSPOSE("conv_transpose", List.of("filters", "kernel", "stride", "padding", "bias"));

        private final String token;
        private final List<String> attributes;

        Kind(String token, List<String> attributes) {
            this.token = token;
            this.attributes = attributes;
        }

        public String token() {
            return token;
        }

        public List<String> attributes() {
            return attributes;
        }

        /** Inputs the node reads. */
        public int arity() {
            return this == ADD || this == CONCAT ? 2 : 1;
        }

        static Kind of(String token) {
            for (Kind kind : values()) {
                if (kind.token.equals(token)) {
                    return kind;
                }
            }
            return null;
        }
    }

    /**
     * One op: its kind, checkpoint path, input value ids, output value id and shape, attributes (checked by the
     * reader to be present and well-typed) and parameters.
     */
    public record Node(Kind kind, String path, int[] inputs, int output, Shape shape, Map<String, String> attributes,
                       List<Param> params) {

        public int intAttribute(String name) {
            return Integer.parseInt(attributes.get(name));
        }

        public double doubleAttribute(String name) {
            return Double.parseDouble(attributes.get(name));
        }

        public boolean booleanAttribute(String name) {
            return Boolean.parseBoolean(attributes.get(name));
        }

        public int input() {
            return inputs[0];
        }
    }

    /** A learned parameter or a running-statistics buffer, with its PyTorch name and shape. */
    public record Param(String name, int[] shape, boolean trainable, ParameterSpec.Init init, int fanIn,
                        String node) {

        public long size() {
            long size = 1;
            for (int d : shape) {
                size *= d;
            }
            return size;
        }
    }
}
