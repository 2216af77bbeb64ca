package dev.residual.runtime.interpreter;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.interpreter.ModelGraph.Node;
import dev.residual.runtime.interpreter.ModelGraph.Shape;
import dev.residual.runtime.io.Safetensors;
import dev.residual.runtime.loss.SoftmaxCrossEntropy;
import dev.residual.runtime.model.CompiledModel;
import dev.residual.runtime.ops.Layout;
import dev.residual.runtime.optim.GradientClipping;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Optimizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs a model graph op by op at run time, as an eager framework does: the baseline the generated code is measured
 * against, and a second implementation for differential tests. It reads the graph the processor writes beside a
 * generated class ({@link GraphReader}), reads every shape from the graph as it goes, calls the same kernels on the
 * same GEMM backend one op at a time without fusion, and allocates a fresh tensor for every op output, gradient and
 * scratch area of a call (freed when the call returns). Parameters, their gradients, running statistics and
 * optimizer state live as long as the interpreter, in blocks laid out as the generated class lays them out, so the
 * same optimizer and schedule classes update both the same way.
 *
 * <p>Inputs and outputs are N·C·H·W, as for the generated class. A sequence model ({@code sequence:T,D} shapes) runs
 * as the generated class runs it: {@code n·T} token ids as floats in, a row of logits and one label per position,
 * every per-position op on {@code n·T} columns, the loss the mean over the {@code n·T} positions. A segmentation
 * model ({@code loss pixel_cross_entropy}) takes a label per pixel, {@code n·H·W} of them, and averages over them.
 *
 * <p>One instance is used by one thread at a time.
 */
public final class Interpreter implements AutoCloseable {

    private final ModelGraph graph;
    private final Gemm gemm;
    private final Arena arena = Arena.ofShared();
    private final ParameterBlock block;
    private final EagerOps ops;
    private final Shape[] shapes;
    private Optimizer optimizer;
    private LearningRate schedule;
    private MemorySegment optimizerState;
    private long step;

    /** An interpreter for a graph, initialized as the generated class would be from the same seed. */
    public Interpreter(ModelGraph graph, Gemm gemm, long seed) {
        this.graph = graph;
        this.gemm = gemm;
        this.block = new ParameterBlock(graph.params(), arena);
        this.ops = new EagerOps(gemm, block, graph);
        this.shapes = new Shape[Tape.valueSlots(graph)];
        shapes[graph.input()] = graph.inputShape();
        for (Node node : graph.nodes()) {
            shapes[node.output()] = node.shape();
        }
        block.initialize(seed);
    }

    /** An interpreter for the graph resource beside a generated model class, on the default backend, seed 0. */
    public static Interpreter of(Class<? extends CompiledModel> generated) {
        return new Interpreter(GraphReader.forClass(generated), Backends.defaultGemm(), 0L);
    }

    /** An interpreter for the graph resource beside a generated model class. */
    public static Interpreter of(Class<?> generated, Gemm gemm, long seed) {
        return new Interpreter(GraphReader.forClass(generated), gemm, seed);
    }

    public ModelGraph graph() {
        return graph;
    }

    public Gemm gemm() {
        return gemm;
    }

    /** The largest batch a call may pass (the model's batch, as for the generated class). */
    public int batchCapacity() {
        return graph.batch();
    }

    /** Floats per input sample: for a sequence model, its token ids as floats. */
    public int inputSize() {
        return (int) graph.inputShape().size() * positions();
    }

    /** Floats per output sample: for a sequence model, a row of logits per position. */
    public int outputSize() {
        return (int) graph.outputShape().size() * positions();
    }

    /** Columns one sample occupies on the tape: a sequence's positions, else 1. */
    private int positions() {
        return graph.inputShape().positions();
    }

    // --- parameters ---

    /** Parameters and running statistics, as views, in the order and with the names of the generated class. */
    public List<Tensor> stateDict() {
        return block.stateDict();
    }

    /** One parameter or buffer by its PyTorch name, as a view. */
    public Tensor tensor(String name) {
        return block.tensor(name);
    }

    /** The gradient of a trainable parameter after the last {@link #trainStep}, by PyTorch name, as a view. */
    public Tensor gradient(String name) {
        return block.gradient(name);
    }

    /** Copies every parameter and running statistic from a generated model of the same graph. */
    public void copyFrom(CompiledModel model) {
        for (Tensor tensor : stateDict()) {
            tensor.data().copyFrom(matching(model, tensor).data());
        }
    }

    /** Copies every parameter and running statistic into a generated model of the same graph. */
    public void copyTo(CompiledModel model) {
        for (Tensor tensor : stateDict()) {
            matching(model, tensor).data().copyFrom(tensor.data());
        }
    }

    private static Tensor matching(CompiledModel model, Tensor tensor) {
        Tensor other = model.tensor(tensor.name());
        if (other.size() != tensor.size()) {
            throw new IllegalArgumentException(tensor.name() + " holds " + tensor.size() + " floats here but "
                    + other.size() + " in " + model.getClass().getSimpleName() + ": not the same model");
        }
        return other;
    }

    /** Loads parameters and running statistics from a safetensors file, as a generated model's {@code load} does. */
    public void load(Path file) throws IOException {
        Safetensors.loadInto(file, stateDict(),
                name -> name.startsWith("optimizer.") || name.endsWith(".num_batches_tracked"));
    }

    /** Saves parameters and running statistics as safetensors. */
    public void save(Path file) throws IOException {
        Safetensors.save(file, stateDict());
    }

    // --- running ---

    /** The forward pass in inference mode (running statistics) on {@code n} samples, N·C·H·W in and out. */
    public void forward(int n, float[] input, float[] output) {
        checkBatch(n);
        check("input", input.length, (long) n * inputSize());
        check("output", output.length, (long) n * outputSize());
        forward(n, MemorySegment.ofArray(input), MemorySegment.ofArray(output));
    }

    /** The forward pass in inference mode on {@code n} samples in off-heap (or array-backed) memory. */
    public void forward(int n, MemorySegment input, MemorySegment output) {
        checkBatch(n);
        check("input", input.byteSize() / Float.BYTES, (long) n * inputSize());
        check("output", output.byteSize() / Float.BYTES, (long) n * outputSize());
        try (Tape tape = new Tape(graph, n * positions(), false)) {
            run(tape, input);
            Shape out = graph.outputShape();
            MemorySegment result = tape.allocate(out);
            Layout.channelMajorToNchw(tape.values[graph.output()], 0, out.channels(), out.height(), out.width(),
                    tape.n, result, 0);
            MemorySegment.copy(result, 0, output, 0, (long) n * outputSize() * Float.BYTES);
        }
    }

    /** Chooses the optimizer and schedule for {@link #trainStep}, with fresh optimizer state and step 0. */
    public void setOptimizer(Optimizer optimizer, LearningRate schedule) {
        if (optimizer == null || schedule == null) {
            throw new IllegalArgumentException("an optimizer and a learning-rate schedule are both needed");
        }
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.optimizerState = arena.allocate(Math.max(1, optimizer.stateSlots() * block.parameterFloats)
                * Float.BYTES, 64);
        this.step = 0;
    }

    /** Training steps taken. */
    public long step() {
        return step;
    }

    /**
     * One training step on {@code n} samples, as the generated class's {@code trainStep}: forward with batch
     * statistics, softmax cross-entropy, backward op by op, the optimizer's update. Returns the mean loss.
     */
    public float trainStep(int n, float[] input, int[] labels) {
        checkBatch(n);
        check("input", input.length, (long) n * inputSize());
        return trainStep(n, MemorySegment.ofArray(input), labels);
    }

    /** One training step on {@code n} samples in memory; see {@link #trainStep(int, float[], int[])}. */
    public float trainStep(int n, MemorySegment input, int[] labels) {
        checkBatch(n);
        check("input", input.byteSize() / Float.BYTES, (long) n * inputSize());
        Shape out = graph.outputShape();
        if (out.image() && !graph.pixelLoss()) {
            throw new IllegalStateException(graph.model() + " ends in an image (" + out + ") without a per-pixel "
                    + "loss: training needs class scores, as the generated class, which has no trainStep for it");
        }
        // the loss's rows: one per sample, per position of a sequence, or per pixel of a segmentation
        int classes = out.channels(), columns = n * positions();
        int rows = graph.pixelLoss() ? n * out.spatial() : columns;
        checkLabels(labels, rows, classes);
        if (optimizer == null) {
            throw new IllegalStateException("no optimizer: call setOptimizer(...) before trainStep");
        }
        try (Tape tape = new Tape(graph, columns, true)) {
            run(tape, input);
            MemorySegment dLogits = tape.allocate(out);
            float loss = SoftmaxCrossEntropy.forward(tape.values[graph.output()], 0, classes, rows, labels, 0f,
                    dLogits, 0);
            tape.gradients[graph.output()] = dLogits;
            List<Node> nodes = graph.nodes();
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node node = nodes.get(i);
                if (tape.gradients[node.output()] != null) {
                    ops.backward(node, i, tape, shapes[node.input()], graph.input());
                }
            }
            if (!Float.isFinite(loss) || !GradientClipping.allFinite(block.gradients, block.parameterFloats)) {
                // Unlike the generated class, no backup of the running statistics: this step's update stays.
                throw new ArithmeticException("training step " + (step + 1) + ": the loss (" + loss + ") or a "
                        + "gradient is not finite; the parameters were left as they were (the running statistics "
                        + "took this batch's update)");
            }
            double lr = schedule.at(step);
            step++;
            optimizer.step(block.parameters, block.gradients, optimizerState, block.parameterFloats, step, lr);
            return loss;
        }
    }

    /** The forward pass onto the tape: the input to channel-major, then every node in order. */
    private void run(Tape tape, MemorySegment input) {
        Shape in = graph.inputShape();
        MemorySegment x = tape.allocate(in);
        // for a sequence model, the token ids are one row of n·T positions: a copy
        Layout.nchwToChannelMajor(input, 0, in.channels(), in.height(), in.width(), tape.n, x, 0);
        tape.values[graph.input()] = x;
        List<Node> nodes = graph.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node node = nodes.get(i);
            ops.forward(node, i, tape, shapes[node.input()]);
        }
    }

    private void checkBatch(int n) {
        if (n < 1 || n > graph.batch()) {
            throw new IllegalArgumentException("n = " + n + " samples, but this model takes 1 to " + graph.batch()
                    + " (the batch of its @Model)");
        }
    }

    private static void check(String what, long floats, long needed) {
        if (floats < needed) {
            throw new IllegalArgumentException(what + " holds " + floats + " floats, but " + needed + " are needed");
        }
    }

    private static void checkLabels(int[] labels, int n, int classes) {
        if (labels == null || labels.length < n) {
            throw new IllegalArgumentException("labels holds " + (labels == null ? 0 : labels.length)
                    + " entries, but " + n + " samples (or sequence positions) need one each");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + " is not a class index; the"
                        + " model has " + classes + " classes, 0 to " + (classes - 1));
            }
        }
    }

    /** Frees the parameter and optimizer memory. */
    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "Interpreter[" + graph.model() + ", " + graph.nodes().size() + " nodes, on " + gemm.name() + "]";
    }
}
