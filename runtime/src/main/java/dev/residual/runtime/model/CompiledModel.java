package dev.residual.runtime.model;

import dev.residual.runtime.Layer;
import dev.residual.runtime.Tensor;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.io.Safetensors;
import dev.residual.runtime.ops.Init;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Optimizer;
import dev.residual.runtime.random.TorchGenerator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every generated model class extends: its memory blocks, its parameters by name, checkpoints, views of its
 * layers. The generated subclass adds the shapes as constants and the forward (and backward) code.
 *
 * <p>Memory: three 64-byte-aligned off-heap blocks, allocated once — parameters (trainable, in execution order),
 * buffers (batch-norm running statistics) and activations (every layer's output for the largest batch, then scratch).
 * An instance is used by one thread at a time; {@link #close()} frees the memory.
 */
public abstract class CompiledModel implements AutoCloseable {

    private static final long ALIGNMENT = 64;

    protected final Gemm gemm;
    protected final MemorySegment parameters;
    /** The gradient of every parameter, at the parameter's offset: same layout as {@link #parameters}. */
    protected final MemorySegment gradients;
    protected final MemorySegment buffers;
    protected final MemorySegment activations;
    private final Arena arena;
    private final List<ParameterSpec> specs;
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private final List<Layer> layers = new ArrayList<>();
    private final int batchCapacity;
    private final long parameterFloats;
    private final Training training = new Training();
    /** The batch of the last forward pass, which sizes the layer output views. */
    protected int lastBatch;
    /** Numbers for {@link #weightsVersion}: each change of any model's parameters takes the next. */
    private static final AtomicLong VERSIONS = new AtomicLong();
    private long weightsVersion = VERSIONS.incrementAndGet();
    /** Whether a view of the parameters has been handed out: writes through it would go unseen. */
    private boolean parametersHandedOut;

    protected CompiledModel(Gemm gemm, int batchCapacity, long parameterFloats, long bufferFloats,
                            long activationFloats, List<ParameterSpec> specs, List<LayerSpec> layerSpecs) {
        this.gemm = gemm;
        this.batchCapacity = batchCapacity;
        this.arena = Arena.ofShared();
        this.parameters = allocate(parameterFloats);
        this.gradients = allocate(parameterFloats);
        this.buffers = allocate(bufferFloats);
        this.parameterFloats = parameterFloats;
        this.activations = allocate(activationFloats);
        this.specs = List.copyOf(specs);
        for (ParameterSpec spec : specs) {
            MemorySegment block = spec.trainable() ? parameters : buffers;
            MemorySegment slice = block.asSlice(spec.offset() * Float.BYTES, spec.size() * Float.BYTES);
            state.put(spec.name(), new Tensor(spec.name(), spec.shape(), slice));
        }
        for (LayerSpec layer : layerSpecs) {
            layers.add(new LayerView(this, layer));
        }
    }

    /**
     * What the convolution kernels that keep packed copies of weights ({@code DirectConv2d}) may trust instead of
     * comparing the weights with their copy on every call: a number that changes whenever this model changes its
     * parameters ({@link #initialize}, {@link #load}, {@link #loadCheckpoint}, a training step), unique among all
     * models, so that a packing made at one number is still right at the same number. Once a view of the parameters
     * has been handed out ({@link #parameters}, {@link #stateDict}, {@link #tensor}, a layer's
     * {@link Layer#parameters}), writes through it would not change the number, so it is −1 from then on: compare.
     */
    protected final long weightsVersion() {
        return parametersHandedOut ? -1 : weightsVersion;
    }

    /** Marks the parameters changed by this model: packings made before are stale. */
    private void parametersChanged() {
        weightsVersion = VERSIONS.incrementAndGet();
    }

    /** Hands {@code tensors} out: writes through them would change the parameters out of this model's sight. */
    private List<Tensor> handOut(List<Tensor> tensors) {
        parametersHandedOut = true;
        return tensors;
    }

    /** Parameters and buffers, for this class's own reading and loading: not handed out. */
    private List<Tensor> stateList() {
        return List.copyOf(state.values());
    }

    /** One tensor of the state by name, not handed out. */
    private Tensor stateTensor(String name) {
        Tensor tensor = state.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("no tensor named " + name + "; names: " + state.keySet());
        }
        return tensor;
    }

    private MemorySegment allocate(long floats) {
        return arena.allocate(Math.max(floats, 1) * Float.BYTES, ALIGNMENT);
    }

    /**
     * Fills every parameter as PyTorch's defaults do after {@code torch.manual_seed(seed)}, in declaration order (see
     * {@link Init}): the same seed gives the same model here and in PyTorch.
     */
    public final void initialize(long seed) {
        TorchGenerator random = new TorchGenerator(seed);
        for (ParameterSpec spec : specs) {
            Init.parameter(random, spec.init(), spec.fanIn(), state.get(spec.name()).data(), 0, spec.size());
        }
        parametersChanged();
    }

    /** The largest batch a call may pass. */
    public final int batchCapacity() {
        return batchCapacity;
    }

    /** The GEMM backend this model runs on. */
    public final Gemm gemm() {
        return gemm;
    }

    /** Trainable parameters, in execution order, as views into the parameter block. */
    public final List<Tensor> parameters() {
        return handOut(specs.stream().filter(ParameterSpec::trainable).map(spec -> state.get(spec.name())).toList());
    }

    /** Running statistics, as views into the buffer block. */
    public final List<Tensor> buffers() {
        return specs.stream().filter(spec -> !spec.trainable()).map(spec -> state.get(spec.name())).toList();
    }

    /** Parameters and buffers together, as a checkpoint holds them. */
    public final List<Tensor> stateDict() {
        return handOut(stateList());
    }

    /** One tensor of {@link #stateDict()} by name. */
    public final Tensor tensor(String name) {
        Tensor tensor = stateTensor(name);
        parametersHandedOut = true;
        return tensor;
    }

    /** Views of the layer methods, in declaration order. */
    public final List<Layer> layers() {
        return List.copyOf(layers);
    }

    /** A layer view by method name. */
    protected final Layer layer(int index) {
        return layers.get(index);
    }

    /**
     * Loads parameters and running statistics from a safetensors file (as PyTorch's state_dict names them). Names,
     * dtypes and shapes are all checked before anything is copied: on any mismatch the model is unchanged and the
     * exception lists every missing, unexpected or mis-shaped tensor. A {@link #saveCheckpoint} file loads too (its
     * optimizer state is skipped).
     */
    public final void load(Path file) throws IOException {
        // A training checkpoint also holds optimizer state; for weights, that part is not needed.
        try {
            Safetensors.loadInto(file, stateList(),
                    name -> name.startsWith("optimizer.") || name.endsWith(".num_batches_tracked"));
        } finally {
            parametersChanged();
        }
    }

    /** Saves parameters and running statistics as safetensors, atomically. */
    public final void save(Path file) throws IOException {
        Safetensors.save(file, stateList());
    }

    // --- training ---

    /**
     * Chooses the optimizer and the learning-rate schedule for {@code trainStep}, with fresh optimizer state (its
     * own block, {@code stateSlots()} times the parameter block) and the step count reset to 0.
     */
    public final void setOptimizer(Optimizer optimizer, LearningRate schedule) {
        training.configure(optimizer, schedule, arena, parameterFloats);
    }

    /** Label smoothing for the cross-entropy of {@code trainStep}: 0 (default) to below 1. */
    public final void setLabelSmoothing(float smoothing) {
        training.labelSmoothing(smoothing);
    }

    /** Clips the global L2 norm of the gradients to {@code maxNorm} before each update; 0 turns clipping off. */
    public final void setGradientClipping(double maxNorm) {
        training.clipping(maxNorm);
    }

    /** Training steps taken (restored by {@link #loadCheckpoint}). */
    public final long step() {
        return training.step();
    }

    /** The learning rate the next step will use. */
    public final double learningRate() {
        return training.learningRate();
    }

    /** The gradient of every trainable parameter after the last {@code trainStep}, as views. */
    public final List<Tensor> gradients() {
        return specs.stream().filter(ParameterSpec::trainable).map(this::gradientView).toList();
    }

    private Tensor gradientView(ParameterSpec spec) {
        return new Tensor("grad." + spec.name(), spec.shape(),
                gradients.asSlice(spec.offset() * Float.BYTES, spec.size() * Float.BYTES));
    }

    /**
     * The gradient of one trainable parameter after the last {@code trainStep}, as a view named
     * {@code grad.<name>}: e.g. {@code gradient("stem.0.weight").norm()} to watch gradients vanish.
     */
    public final Tensor gradient(String name) {
        Tensor parameter = stateTensor(name);
        for (ParameterSpec spec : specs) {
            if (spec.name().equals(name) && spec.trainable()) {
                return gradientView(spec);
            }
        }
        throw new IllegalArgumentException(parameter.name() + " is a running statistic; it has no gradient");
    }

    /** Checks labels before a training step: one per sample, each a class index. */
    protected static void checkLabels(int[] labels, int n, int classes) {
        Training.checkLabels(labels, n, classes);
    }

    /** Softmax cross-entropy of the logits ({@code classes × n}, channel-major); writes its gradient. */
    protected final float crossEntropy(MemorySegment logits, long offset, int classes, int n, int[] labels,
                                       MemorySegment gradient, long gradientOffset) {
        return training.crossEntropy(logits, offset, classes, n, labels, gradient, gradientOffset);
    }

    /**
     * Ends a training step: refuses a non-finite loss or gradient (the parameters stay as they were), clips, and
     * lets the optimizer update the parameter block. Returns the loss.
     */
    protected final float update(float loss) {
        try {
            return training.update(loss, parameters, gradients, buffers, parameterFloats);
        } finally {
            parametersChanged();
        }
    }

    /** Starts a training step: checks an optimizer is set and backs up the running statistics. */
    protected final void beginStep() {
        training.begin(arena, buffers);
    }

    /**
     * Saves everything needed to resume training, atomically: parameters, running statistics, optimizer state
     * ({@code optimizer.<slot>.<parameter>}) and the step count ({@code optimizer.step}).
     */
    public final void saveCheckpoint(Path file) throws IOException {
        training.save(file, stateList(), specs);
    }

    /**
     * Restores what {@link #saveCheckpoint} saved. Everything is checked first; on any mismatch the model, its
     * optimizer state and its step count are unchanged. Configure the same optimizer before loading.
     */
    public final void loadCheckpoint(Path file) throws IOException {
        try {
            training.load(file, stateList(), specs);
        } finally {
            parametersChanged();
        }
    }

    /** The memory blocks' sizes, for logs. */
    public String describe() {
        return getClass().getSimpleName() + ": parameters " + parameters.byteSize() + " B, buffers "
                + buffers.byteSize() + " B, activations " + activations.byteSize() + " B, on " + gemm.name();
    }

    /** Frees the model's memory; views become unusable. */
    @Override
    public void close() {
        arena.close();
    }

    /** Checks a batch size against the planned maximum. */
    protected final void checkBatch(int n) {
        if (n < 1 || n > batchCapacity) {
            throw new IllegalArgumentException("n = " + n + " samples, but this model takes 1 to " + batchCapacity
                    + " (the batch of its @Model)");
        }
    }

    /** Checks that a caller's segment holds at least {@code floats} floats. */
    protected static void checkSize(String what, MemorySegment segment, long floats) {
        if (segment.byteSize() < floats * Float.BYTES) {
            throw new IllegalArgumentException(what + " holds " + segment.byteSize() / Float.BYTES
                    + " floats, but " + floats + " are needed");
        }
    }

    /** Checks that a caller's array holds at least {@code floats} floats. */
    protected static void checkSize(String what, float[] array, long floats) {
        if (array.length < floats) {
            throw new IllegalArgumentException(what + " holds " + array.length + " floats, but " + floats
                    + " are needed");
        }
    }

    /** A view of {@code floats} floats of the activation block, for layer views. */
    final MemorySegment activationSlice(long offset, long floats) {
        return activations.asSlice(offset * Float.BYTES, floats * Float.BYTES);
    }

    final List<Tensor> stateWithPrefix(String prefix) {
        return handOut(state.values().stream().filter(t -> t.name().startsWith(prefix + ".")).toList());
    }

    final int lastBatch() {
        return lastBatch;
    }
}
