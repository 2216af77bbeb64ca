package dev.residual.processor.graph;

/**
 * What a node computes. Each op's forward and backward are emitted side by side by its emitter in
 * {@code dev.residual.processor.emit.ops}, and run by the kernels in {@code dev.residual.runtime.ops}.
 */
public sealed interface Op {

    /** A short description for Javadoc, e.g. {@code conv 3×3 stride 2 pad 1, 16→32}. */
    String describe(Shape in, Shape out);

    record Conv(int filters, int kernel, int stride, int padding, boolean bias) implements Op {
        public String describe(Shape in, Shape out) {
            return "conv " + kernel + "×" + kernel + " stride " + stride + " pad " + padding + ", " + in.channels()
                    + "→" + filters + (bias ? " with bias" : "");
        }
    }

    record BatchNorm(double eps, double momentum) implements Op {
        public String describe(Shape in, Shape out) {
            return "batch norm over " + in.channels() + " channels, eps " + eps + ", momentum " + momentum;
        }
    }

    record LayerNorm(double eps) implements Op {
        public String describe(Shape in, Shape out) {
            String over = in.sequence() ? "each position's " + in.channels() + " features" : in.toString();
            return "layer norm over " + over + ", eps " + eps;
        }
    }

    record GroupNorm(int groups, double eps) implements Op {
        public String describe(Shape in, Shape out) {
            return "group norm, " + groups + " groups of " + in.channels() / groups + " channels, eps " + eps;
        }
    }

    record Relu() implements Op {
        public String describe(Shape in, Shape out) {
            return "ReLU";
        }
    }

    record Gelu(boolean tanh) implements Op {
        public String describe(Shape in, Shape out) {
            return tanh ? "GELU (tanh approximation)" : "GELU";
        }
    }

    record MaxPool(int size, int stride, int padding) implements Op {
        public String describe(Shape in, Shape out) {
            return "max pool " + size + "×" + size + " stride " + stride + " pad " + padding;
        }
    }

    record AvgPool(int size, int stride, int padding) implements Op {
        public String describe(Shape in, Shape out) {
            return "average pool " + size + "×" + size + " stride " + stride + " pad " + padding;
        }
    }

    record GlobalAvgPool() implements Op {
        public String describe(Shape in, Shape out) {
            return "global average pool";
        }
    }

    /**
     * A fully connected layer; {@code queriesKeysValues} marks an attention's {@code qkv} projection, whose keys'
     * bias has an exact gradient of 0 (see the runtime's {@code Attention.clearKeyBiasGradient}).
     */
    record Dense(int units, boolean bias, boolean queriesKeysValues) implements Op {
        public Dense(int units, boolean bias) {
            this(units, bias, false);
        }

        public String describe(Shape in, Shape out) {
            return "dense " + in.size() / in.positions() + "→" + units + (bias ? " with bias" : "")
                    + (in.sequence() ? " per position" : "");
        }
    }

    /** The residual add: {@code inputs[0] + inputs[1]} (the branch, then the shortcut). */
    record Add() implements Op {
        public String describe(Shape in, Shape out) {
            return "residual add";
        }
    }

    /** Token ids to learned vectors: {@code weight[vocabulary, dim]}. */
    record Embedding(int vocabulary, int dim) implements Op {
        public String describe(Shape in, Shape out) {
            return "embedding of " + vocabulary + " tokens → " + dim;
        }
    }

    /** Adds a learned vector per position: {@code weight[length, features]}. */
    record PositionalEmbedding() implements Op {
        public String describe(Shape in, Shape out) {
            return "learned positional embedding, " + in.length() + " positions";
        }
    }

    /**
     * Scaled dot-product attention over the positions of each sequence: reads the {@code qkv} projection
     * ({@code 3D} features), writes {@code D}. The projections around it are {@link Dense} nodes.
     */
    record Attention(int heads, boolean causal) implements Op {
        public String describe(Shape in, Shape out) {
            return (causal ? "causal " : "") + "self-attention, " + heads + " heads of " + out.channels() / heads;
        }
    }

    /** A U-Net skip: {@code inputs[0]}'s channels, then those of {@code inputs[1]} (the named earlier layer). */
    record Concat(String skip) implements Op {
        public String describe(Shape in, Shape out) {
            return "concatenate with " + skip + ", " + in.channels() + " + " + (out.channels() - in.channels())
                    + " → " + out.channels() + " channels";
        }
    }

    /** Nearest-neighbour upsampling by an integer factor on both axes. */
    record Upsample(int scale) implements Op {
        public String describe(Shape in, Shape out) {
            return "nearest upsample ×" + scale;
        }
    }

    /** Transposed convolution; its weight is {@code [C_in, filters, K, K]} as PyTorch's. */
    record ConvTranspose(int filters, int kernel, int stride, int padding, boolean bias) implements Op {
        public String describe(Shape in, Shape out) {
            return "transposed conv " + kernel + "×" + kernel + " stride " + stride + " pad " + padding + ", "
                    + in.channels() + "→" + filters + (bias ? " with bias" : "");
        }
    }
}
