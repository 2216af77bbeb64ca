package dev.residual.runtime.interpreter;

import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.interpreter.ModelGraph.Node;
import dev.residual.runtime.interpreter.ModelGraph.Shape;
import dev.residual.runtime.interpreter.ParameterBlock.Slot;
import dev.residual.runtime.ops.Activations;
import dev.residual.runtime.ops.Attention;
import dev.residual.runtime.ops.BatchNorm;
import dev.residual.runtime.ops.Concat;
import dev.residual.runtime.ops.Conv2d;
import dev.residual.runtime.ops.ConvTranspose2d;
import dev.residual.runtime.ops.Dense;
import dev.residual.runtime.ops.Elementwise;
import dev.residual.runtime.ops.Embedding;
import dev.residual.runtime.ops.GroupNorm;
import dev.residual.runtime.ops.LayerNorm;
import dev.residual.runtime.ops.Layout;
import dev.residual.runtime.ops.Pooling;
import dev.residual.runtime.ops.PositionalEmbedding;
import dev.residual.runtime.ops.Upsample;
import java.lang.foreign.MemorySegment;

/**
 * The interpreter's kernels: one forward and one backward per node kind, with every shape read from the node at run
 * time. They call the same runtime kernels as the generated code (the same math on the same GEMM backend), one op
 * at a time: no fusion — a batch norm, the residual add and the ReLU after it are three passes — and every output,
 * gradient and scratch area is a fresh tensor from the {@link Tape}, as in an eager framework.
 */
final class EagerOps {

    private final Gemm gemm;
    private final ParameterBlock block;
    /** By value id: whether the value is the input of an attention node (its {@code qkv} projection's output). */
    private final boolean[] attentionInputs;

    EagerOps(Gemm gemm, ParameterBlock block, ModelGraph graph) {
        this.gemm = gemm;
        this.block = block;
        this.attentionInputs = new boolean[Tape.valueSlots(graph)];
        for (Node node : graph.nodes()) {
            if (node.kind() == ModelGraph.Kind.ATTENTION) {
                attentionInputs[node.input()] = true;
            }
        }
    }

    /** Runs node {@code index}: reads its inputs from the tape, writes its output (and what its backward needs). */
    void forward(Node node, int index, Tape tape, Shape in) {
        int n = tape.n;
        MemorySegment x = tape.values[node.input()];
        MemorySegment out = tape.allocate(node.shape());
        int C = in.channels(), hw = in.spatial();
        switch (node.kind()) {
            case CONV -> {
                Conv conv = new Conv(node, in);
                Slot weight = param(node, 0), bias = conv.bias ? param(node, 1) : null;
                Conv2d.forward(gemm, x, 0, C, in.height(), in.width(), n, weight.block(), weight.offset(), conv.F,
                        conv.K, conv.stride, conv.pad, bias == null ? null : bias.block(),
                        bias == null ? 0 : bias.offset(), out, 0, conv.scratch(tape), 0);
            }
            case BATCH_NORM -> {
                Slot gamma = param(node, 0), beta = param(node, 1), mean = param(node, 2), var = param(node, 3);
                float eps = (float) node.doubleAttribute("eps");
                if (tape.training) {
                    MemorySegment saveMean = tape.allocate(C), saveRstd = tape.allocate(C);
                    tape.saved[index] = new MemorySegment[] {saveMean, saveRstd};
                    BatchNorm.trainingForward(x, 0, C, hw, n, gamma.block(), gamma.offset(), beta.block(),
                            beta.offset(), mean.block(), mean.offset(), var.block(), var.offset(),
                            (float) node.doubleAttribute("momentum"), eps, saveMean, 0, saveRstd, 0, null, 0, false,
                            out, 0);
                } else {
                    BatchNorm.inference(x, 0, C, hw, n, gamma.block(), gamma.offset(), beta.block(), beta.offset(),
                            mean.block(), mean.offset(), var.block(), var.offset(), eps, null, 0, false, out, 0);
                }
            }
            case LAYER_NORM -> {
                Slot gamma = param(node, 0), beta = param(node, 1);
                MemorySegment saveMean = tape.allocate(n), saveRstd = tape.allocate(n);
                tape.saved[index] = new MemorySegment[] {saveMean, saveRstd};
                LayerNorm.forward(x, 0, C, hw, n, gamma.block(), gamma.offset(), beta.block(), beta.offset(),
                        (float) node.doubleAttribute("eps"), out, 0, saveMean, 0, saveRstd, 0);
            }
            case GROUP_NORM -> {
                Slot gamma = param(node, 0), beta = param(node, 1);
                int groups = node.intAttribute("groups");
                MemorySegment saveMean = tape.allocate((long) n * groups);
                MemorySegment saveRstd = tape.allocate((long) n * groups);
                tape.saved[index] = new MemorySegment[] {saveMean, saveRstd};
                GroupNorm.forward(x, 0, C, hw, n, groups, gamma.block(), gamma.offset(), beta.block(), beta.offset(),
                        (float) node.doubleAttribute("eps"), out, 0, saveMean, 0, saveRstd, 0);
            }
            case RELU -> Activations.relu(x, 0, C, hw, n, out, 0);
            case GELU -> {
                if (node.booleanAttribute("tanh")) {
                    Activations.geluTanh(x, 0, C, hw, n, out, 0);
                } else {
                    Activations.gelu(x, 0, C, hw, n, out, 0);
                }
            }
            case MAX_POOL -> Pooling.maxPool(x, 0, C, in.height(), in.width(), n, node.intAttribute("size"),
                    node.intAttribute("stride"), node.intAttribute("padding"), out, 0);
            case AVG_POOL -> Pooling.averagePool(x, 0, C, in.height(), in.width(), n, node.intAttribute("size"),
                    node.intAttribute("stride"), node.intAttribute("padding"), out, 0);
            case GLOBAL_AVG_POOL -> Pooling.globalAveragePool(x, 0, C, hw, n, out, 0);
            case DENSE -> {
                Slot weight = param(node, 0);
                Slot bias = node.booleanAttribute("bias") ? param(node, 1) : null;
                MemorySegment features = x;
                if (in.image() && hw > 1) {
                    // Channel-major C×(n·H·W) to the (C·H·W)×n feature matrix, as torch.flatten does for N·C·H·W.
                    features = tape.allocate(in);
                    Layout.flatten(x, 0, C, in.height(), in.width(), n, features, 0);
                    tape.saved[index] = new MemorySegment[] {features};
                }
                Dense.forward(gemm, features, 0, (int) in.size(), n, weight.block(), weight.offset(),
                        node.intAttribute("units"), bias == null ? null : bias.block(),
                        bias == null ? 0 : bias.offset(), out, 0);
            }
            case ADD -> Elementwise.addRelu(x, 0, tape.values[node.inputs()[1]], 0, C, hw, n, false, out, 0);
            // a sequence's n·T positions are the tape's columns; these three ops need the sequences apart
            case EMBEDDING -> {
                Slot table = param(node, 0);
                Embedding.forward(x, 0, n, table.block(), table.offset(), node.intAttribute("vocabulary"),
                        node.intAttribute("dim"), out, 0);
            }
            case POSITIONAL_EMBEDDING -> {
                Slot table = param(node, 0);
                PositionalEmbedding.forward(x, 0, C, in.length(), n / in.length(), table.block(), table.offset(),
                        out, 0);
            }
            case ATTENTION -> Attention.forward(gemm, x, 0, node.shape().channels(), node.intAttribute("heads"),
                    in.length(), n / in.length(), node.booleanAttribute("causal"), attentionScratch(tape, in), 0,
                    out, 0);
            case CONCAT -> Concat.forward(x, 0, C, tape.values[node.inputs()[1]], 0, node.shape().channels() - C, hw,
                    n, out, 0);
            case UPSAMPLE -> Upsample.nearest(x, 0, C, in.height(), in.width(), n, node.intAttribute("scale"), out, 0);
            case CONV_TRANSPOSE -> {
                Conv conv = new Conv(node, in);
                Slot weight = param(node, 0), bias = conv.bias ? param(node, 1) : null;
                ConvTranspose2d.forward(gemm, x, 0, C, in.height(), in.width(), n, weight.block(), weight.offset(),
                        conv.F, conv.K, conv.stride, conv.pad, bias == null ? null : bias.block(),
                        bias == null ? 0 : bias.offset(), out, 0, conv.transposedScratch(tape), 0);
            }
        }
        tape.values[node.output()] = out;
    }

    /**
     * The backward of node {@code index}: reads the gradient of its output, writes its parameters' gradients and
     * sends a gradient to each input that needs one (a fresh tensor for the first, added to it for the next).
     */
    void backward(Node node, int index, Tape tape, Shape in, int modelInput) {
        int n = tape.n;
        MemorySegment dOut = tape.gradients[node.output()];
        MemorySegment x = tape.values[node.input()];
        int C = in.channels(), hw = in.spatial();
        if (node.kind() == ModelGraph.Kind.CONCAT) {
            // the shapes of the two parts: the arriving input's channels, then the skip's
            int skip = node.inputs()[1], skipChannels = node.shape().channels() - C;
            boolean accumulateA = tape.gradients[node.input()] != null, accumulateB = tape.gradients[skip] != null;
            MemorySegment dA = gradientOf(node.input(), tape, in, modelInput);
            MemorySegment dB = gradientOf(skip, tape, new Shape(skipChannels, in.height(), in.width(), true),
                    modelInput);
            Concat.backward(dOut, 0, C, skipChannels, hw, n, dA, 0, accumulateA, dB, 0, accumulateB);
            return;
        }
        if (node.kind() == ModelGraph.Kind.ADD) {
            for (int input : node.inputs()) {
                boolean accumulate = tape.gradients[input] != null;
                MemorySegment dIn = gradientOf(input, tape, in, modelInput);
                if (dIn != null) {
                    Elementwise.accumulate(dOut, 0, C, hw, n, dIn, 0, !accumulate);
                }
            }
            return;
        }
        boolean accumulate = tape.gradients[node.input()] != null;
        MemorySegment dIn = gradientOf(node.input(), tape, in, modelInput);
        switch (node.kind()) {
            case CONV -> {
                Conv conv = new Conv(node, in);
                Slot weight = param(node, 0), bias = conv.bias ? param(node, 1) : null;
                Conv2d.backward(gemm, x, 0, C, in.height(), in.width(), n, weight.block(), weight.offset(), conv.F,
                        conv.K, conv.stride, conv.pad, dOut, 0, block.gradients, weight.offset(),
                        bias == null ? null : block.gradients, bias == null ? 0 : bias.offset(), dIn, 0, accumulate,
                        conv.scratch(tape), 0);
            }
            case BATCH_NORM -> {
                Slot gamma = param(node, 0), beta = param(node, 1);
                MemorySegment[] saved = tape.saved[index];
                BatchNorm.backward(x, 0, C, hw, n, gamma.block(), gamma.offset(), saved[0], 0, saved[1], 0, dOut, 0,
                        block.gradients, gamma.offset(), block.gradients, beta.offset(), dIn, 0, accumulate);
            }
            case LAYER_NORM -> {
                Slot gamma = param(node, 0), beta = param(node, 1);
                MemorySegment[] saved = tape.saved[index];
                // a sequence's positions take the row sweep, as in the generated code
                MemorySegment sums = in.sequence() ? tape.allocate(LayerNorm.backwardScratchFloats(hw, n)) : null;
                LayerNorm.backward(x, 0, C, hw, n, gamma.block(), gamma.offset(), saved[0], 0, saved[1], 0, dOut, 0,
                        block.gradients, gamma.offset(), block.gradients, beta.offset(), dIn, 0, accumulate, sums, 0);
            }
            case GROUP_NORM -> {
                Slot gamma = param(node, 0), beta = param(node, 1);
                MemorySegment[] saved = tape.saved[index];
                GroupNorm.backward(x, 0, C, hw, n, node.intAttribute("groups"), gamma.block(), gamma.offset(),
                        saved[0], 0, saved[1], 0, dOut, 0, block.gradients, gamma.offset(), block.gradients,
                        beta.offset(), dIn, 0, accumulate);
            }
            case RELU -> {
                if (dIn != null) {
                    // ReLU's derivative is read off its output.
                    Activations.reluBackward(tape.values[node.output()], 0, dOut, 0, C, hw, n, dIn, 0, accumulate);
                }
            }
            case GELU -> {
                if (dIn != null && node.booleanAttribute("tanh")) {
                    Activations.geluTanhBackward(x, 0, dOut, 0, C, hw, n, dIn, 0, accumulate);
                } else if (dIn != null) {
                    Activations.geluBackward(x, 0, dOut, 0, C, hw, n, dIn, 0, accumulate);
                }
            }
            case MAX_POOL -> {
                if (dIn != null) {
                    Pooling.maxPoolBackward(x, 0, C, in.height(), in.width(), n, node.intAttribute("size"),
                            node.intAttribute("stride"), node.intAttribute("padding"), dOut, 0, dIn, 0, accumulate);
                }
            }
            case AVG_POOL -> {
                if (dIn != null) {
                    Pooling.averagePoolBackward(C, in.height(), in.width(), n, node.intAttribute("size"),
                            node.intAttribute("stride"), node.intAttribute("padding"), dOut, 0, dIn, 0, accumulate);
                }
            }
            case GLOBAL_AVG_POOL -> {
                if (dIn != null) {
                    Pooling.globalAveragePoolBackward(C, hw, n, dOut, 0, dIn, 0, accumulate);
                }
            }
            case DENSE -> dense(node, index, tape, in, dOut, dIn, accumulate);
            case ADD, CONCAT -> throw new IllegalStateException("handled above");
            case UPSAMPLE -> Upsample.nearestBackward(dOut, 0, C, in.height(), in.width(), n,
                    node.intAttribute("scale"), dIn, 0, accumulate);
            case CONV_TRANSPOSE -> {
                Conv conv = new Conv(node, in);
                Slot weight = param(node, 0), bias = conv.bias ? param(node, 1) : null;
                ConvTranspose2d.backward(gemm, x, 0, C, in.height(), in.width(), n, weight.block(), weight.offset(),
                        conv.F, conv.K, conv.stride, conv.pad, dOut, 0, block.gradients, weight.offset(),
                        bias == null ? null : block.gradients, bias == null ? 0 : bias.offset(), dIn, 0, accumulate,
                        conv.transposedScratch(tape), 0);
            }
            case EMBEDDING -> Embedding.backward(x, 0, n, node.intAttribute("vocabulary"), node.intAttribute("dim"),
                    dOut, 0, block.gradients, param(node, 0).offset());
            case POSITIONAL_EMBEDDING -> PositionalEmbedding.backward(dOut, 0, C, in.length(), n / in.length(),
                    block.gradients, param(node, 0).offset(), dIn, 0, accumulate);
            case ATTENTION -> {
                if (dIn != null) {
                    Attention.backward(gemm, x, 0, node.shape().channels(), node.intAttribute("heads"), in.length(),
                            n / in.length(), node.booleanAttribute("causal"), dOut, 0, attentionScratch(tape, in), 0,
                            dIn, 0, accumulate);
                }
            }
        }
    }

    private void dense(Node node, int index, Tape tape, Shape in, MemorySegment dOut, MemorySegment dIn,
                       boolean accumulate) {
        int n = tape.n;
        Slot weight = param(node, 0);
        Slot bias = node.booleanAttribute("bias") ? param(node, 1) : null;
        boolean flattened = tape.saved[index] != null;
        MemorySegment features = flattened ? tape.saved[index][0] : tape.values[node.input()];
        MemorySegment dFeatures = flattened && dIn != null ? tape.allocate(in) : dIn;
        Dense.backward(gemm, features, 0, (int) in.size(), n, weight.block(), weight.offset(),
                node.intAttribute("units"), dOut, 0, block.gradients, weight.offset(),
                bias == null ? null : block.gradients, bias == null ? 0 : bias.offset(), dFeatures, 0,
                !flattened && accumulate);
        if (flattened && dIn != null) {
            Layout.unflatten(dFeatures, 0, in.channels(), in.height(), in.width(), n, dIn, 0, accumulate);
        }
        if (bias != null && attentionInputs[node.output()]) {
            Attention.clearKeyBiasGradient(block.gradients, bias.offset(), node.intAttribute("units") / 3);
        }
    }


    /** The gradient tensor of a value, allocated on first use; null for the model input, which needs none. */
    private static MemorySegment gradientOf(int value, Tape tape, Shape shape, int modelInput) {
        if (value == modelInput) {
            return null;
        }
        if (tape.gradients[value] == null) {
            tape.gradients[value] = tape.allocate(shape);
        }
        return tape.gradients[value];
    }

    /** A fresh scratch area for the scores of one sequence and head. */
    private static MemorySegment attentionScratch(Tape tape, Shape in) {
        return tape.allocate(Attention.scratchFloats(in.length()));
    }

    /** A convolution's attributes, read from its node at run time. */
    private record Conv(Shape in, int F, int K, int stride, int pad, boolean bias) {
        Conv(Node node, Shape in) {
            this(in, node.intAttribute("filters"), node.intAttribute("kernel"), node.intAttribute("stride"),
                    node.intAttribute("padding"), node.booleanAttribute("bias"));
        }

        /** A fresh scratch area, as large as the kernel asks for this batch. */
        MemorySegment scratch(Tape tape) {
            return tape.allocate(Conv2d.scratchSize(in.channels(), in.height(), in.width(), F, K, stride, pad,
                    tape.n));
        }

        /** The same for the transposed convolution of these attributes. */
        MemorySegment transposedScratch(Tape tape) {
            return tape.allocate(ConvTranspose2d.scratchSize(in.channels(), in.height(), in.width(), F, K, stride,
                    pad, tape.n));
        }
    }

    private Slot param(Node node, int index) {
        return block.slot(node.params().get(index));
    }
}
