package dev.residual.runtime.model;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.io.Dtype;
import dev.residual.runtime.io.Safetensors;
import dev.residual.runtime.io.SafetensorsFile;
import dev.residual.runtime.loss.SoftmaxCrossEntropy;
import dev.residual.runtime.optim.GradientClipping;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Optimizer;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training state of a compiled model — optimizer, its state block, schedule, step count, loss options — and
 * the guard that keeps a bad step from corrupting the model: the running statistics are backed up when a step
 * begins and restored, with the parameters untouched, when its loss or a gradient is not finite.
 */
final class Training {

    static final String STEP = "optimizer.step";

    private Optimizer optimizer;
    private LearningRate schedule;
    private MemorySegment state;
    private MemorySegment buffersBackup;
    private long step;
    private float smoothing;
    private double clipNorm;

    void configure(Optimizer optimizer, LearningRate schedule, Arena arena, long parameterFloats) {
        if (optimizer == null || schedule == null) {
            throw new IllegalArgumentException("an optimizer and a learning-rate schedule are both needed");
        }
        long floats = Math.max(1, optimizer.stateSlots() * parameterFloats);
        this.state = arena.allocate(floats * Float.BYTES, 64);
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.step = 0;
    }

    void labelSmoothing(float smoothing) {
        if (!(smoothing >= 0 && smoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + smoothing);
        }
        this.smoothing = smoothing;
    }

    void clipping(double maxNorm) {
        if (!(maxNorm >= 0) || Double.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("the clipping norm must be finite and ≥ 0 (0 = off), got " + maxNorm);
        }
        this.clipNorm = maxNorm;
    }

    long step() {
        return step;
    }

    double learningRate() {
        return schedule == null ? Double.NaN : schedule.at(step);
    }

    static void checkLabels(int[] labels, int n, int classes) {
        if (labels == null || labels.length < n) {
            throw new IllegalArgumentException("labels holds " + (labels == null ? 0 : labels.length)
                    + " entries, but " + n + " samples need one each");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + " is not a class index; the"
                        + " model has " + classes + " classes, 0 to " + (classes - 1));
            }
        }
    }

    /** Called as a step begins: refuses to start without an optimizer and backs up the running statistics. */
    void begin(Arena arena, MemorySegment buffers) {
        if (optimizer == null) {
            throw new IllegalStateException("no optimizer: call setOptimizer(...) before trainStep");
        }
        if (buffersBackup == null) {
            buffersBackup = arena.allocate(buffers.byteSize(), 64);
        }
        buffersBackup.copyFrom(buffers);
    }

    float crossEntropy(MemorySegment logits, long offset, int classes, int n, int[] labels, MemorySegment gradient,
                       long gradientOffset) {
        return SoftmaxCrossEntropy.forward(logits, offset, classes, n, labels, smoothing, gradient, gradientOffset);
    }

    float update(float loss, MemorySegment parameters, MemorySegment gradients, MemorySegment buffers, long floats) {
        if (!Float.isFinite(loss)) {
            buffers.copyFrom(buffersBackup);
            throw new ArithmeticException("training step " + (step + 1) + ": the loss is " + loss + "; the parameters"
                    + " and running statistics were left as they were. Lower the learning rate, enable gradient"
                    + " clipping, or check the input for NaN or infinite values.");
        }
        if (!GradientClipping.allFinite(gradients, floats)) {
            buffers.copyFrom(buffersBackup);
            throw new ArithmeticException("training step " + (step + 1) + ": a gradient is NaN or infinite (loss "
                    + loss + "); the parameters and running statistics were left as they were. Lower the learning"
                    + " rate or enable gradient clipping.");
        }
        if (clipNorm > 0) {
            GradientClipping.clipByGlobalNorm(gradients, floats, clipNorm);
        }
        // The schedule counts updates from 0 (PyTorch's last_epoch); the optimizer counts steps from 1.
        double lr = schedule.at(step);
        step++;
        optimizer.step(parameters, gradients, state, floats, step, lr);
        return loss;
    }

    void save(Path file, List<Tensor> stateDict, List<ParameterSpec> specs) throws IOException {
        List<Safetensors.Item> items = new ArrayList<>();
        stateDict.forEach(tensor -> items.add(Safetensors.Item.of(tensor)));
        optimizerTensors(specs).forEach(tensor -> items.add(Safetensors.Item.of(tensor)));
        items.add(Safetensors.Item.scalar(STEP, step));
        Safetensors.writeItems(file, items, Map.of("format", "residual-checkpoint"));
    }

    void load(Path file, List<Tensor> stateDict, List<ParameterSpec> specs) throws IOException {
        long savedStep;
        try (SafetensorsFile checkpoint = SafetensorsFile.open(file)) {
            if (!checkpoint.entries().containsKey(STEP)) {
                throw new IOException(file + " has no " + STEP + ": it holds weights only. Use load(...) for a "
                        + "weights file, or saveCheckpoint(...) to write a resumable one.");
            }
            SafetensorsFile.Entry entry = checkpoint.entry(STEP);
            if (entry.dtype() != Dtype.I64 || entry.elementCount() != 1) {
                throw new IOException(file + ": " + STEP + " must be one I64 value; it is " + entry);
            }
            savedStep = checkpoint.longs(STEP)[0];
        }
        List<Tensor> targets = new ArrayList<>(stateDict);
        targets.addAll(optimizerTensors(specs));
        Safetensors.loadInto(file, targets, name -> name.equals(STEP) || name.endsWith(".num_batches_tracked"));
        step = savedStep;
    }

    /** The optimizer state as named views: {@code optimizer.<slot>.<parameter>}. */
    private List<Tensor> optimizerTensors(List<ParameterSpec> specs) {
        if (optimizer == null) {
            throw new IllegalStateException("no optimizer: call setOptimizer(...) first, with the optimizer the "
                    + "checkpoint was trained with");
        }
        List<Tensor> tensors = new ArrayList<>();
        long floats = state.byteSize() / Float.BYTES / Math.max(1, optimizer.stateSlots());
        for (int slot = 0; slot < optimizer.stateSlots(); slot++) {
            for (ParameterSpec spec : specs) {
                if (spec.trainable()) {
                    long offset = (slot * floats + spec.offset()) * Float.BYTES;
                    tensors.add(new Tensor("optimizer." + slot + "." + spec.name(), spec.shape(),
                            state.asSlice(offset, spec.size() * Float.BYTES)));
                }
            }
        }
        return tensors;
    }
}
