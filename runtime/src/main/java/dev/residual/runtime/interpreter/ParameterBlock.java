package dev.residual.runtime.interpreter;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.interpreter.ModelGraph.Param;
import dev.residual.runtime.ops.Init;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The interpreter's parameters (and their gradients) and running statistics, each kind in one block in graph order,
 * so the runtime's optimizers update them as they update a generated model's. They live as long as the interpreter,
 * as an eager framework's module parameters and their {@code .grad} do.
 */
final class ParameterBlock {

    /** Where one parameter lives: its block (parameters or buffers) and offset in floats. */
    record Slot(Param param, MemorySegment block, long offset) {}

    final MemorySegment parameters;
    final MemorySegment gradients;
    final MemorySegment buffers;
    final long parameterFloats;
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final List<Param> params;

    ParameterBlock(List<Param> params, Arena arena) {
        this.params = params;
        long trainable = 0, buffered = 0;
        for (Param param : params) {
            if (param.trainable()) {
                trainable += param.size();
            } else {
                buffered += param.size();
            }
        }
        this.parameterFloats = trainable;
        this.parameters = arena.allocate(Math.max(1, trainable) * Float.BYTES, 64);
        this.gradients = arena.allocate(Math.max(1, trainable) * Float.BYTES, 64);
        this.buffers = arena.allocate(Math.max(1, buffered) * Float.BYTES, 64);
        long p = 0, b = 0;
        for (Param param : params) {
            if (param.trainable()) {
                slots.put(param.name(), new Slot(param, parameters, p));
                p += param.size();
            } else {
                slots.put(param.name(), new Slot(param, buffers, b));
                b += param.size();
            }
        }
    }

    Slot slot(Param param) {
        return slots.get(param.name());
    }

    /** A parameter's or buffer's tensor, as a view. */
    Tensor tensor(String name) {
        Slot slot = slots.get(name);
        if (slot == null) {
            throw new IllegalArgumentException("no tensor named " + name + "; names: " + slots.keySet());
        }
        return view(slot.param().name(), slot.param(), slot.block(), slot.offset());
    }

    /** A trainable parameter's gradient from the last training step, as a view. */
    Tensor gradient(String name) {
        Slot slot = slots.get(name);
        if (slot == null || !slot.param().trainable()) {
            throw new IllegalArgumentException("no trainable parameter named " + name + "; names: "
                    + params.stream().filter(Param::trainable).map(Param::name).toList());
        }
        return view("grad." + name, slot.param(), gradients, slot.offset());
    }

    /** Parameters and buffers together, in graph order, as a checkpoint holds them. */
    List<Tensor> stateDict() {
        return params.stream().map(param -> tensor(param.name())).toList();
    }

    /**
     * Fills every parameter as a generated class does from the same seed (PyTorch's default schemes, in the same
     * order from the same generator), so an interpreter and a generated model built with one seed start equal.
     */
    void initialize(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Param param : params) {
            Slot slot = slots.get(param.name());
            switch (param.init()) {
                case ONES -> Init.fill(slot.block(), slot.offset(), param.size(), 1f);
                case ZEROS -> Init.fill(slot.block(), slot.offset(), param.size(), 0f);
                // nn.Embedding's N(0, 1), drawn as the generated class draws it
                case NORMAL -> {
                    for (long i = 0; i < param.size(); i++) {
                        slot.block().setAtIndex(ValueLayout.JAVA_FLOAT, slot.offset() + i,
                                (float) random.nextGaussian());
                    }
                }
                // kaiming_uniform_(a=√5) for weights and PyTorch's bias init share the bound 1/√fanIn.
                case KAIMING_UNIFORM, FAN_IN_UNIFORM -> Init.uniform(random, slot.block(), slot.offset(),
                        param.size(), 1.0 / Math.sqrt(param.fanIn()));
            }
        }
    }

    private static Tensor view(String name, Param param, MemorySegment block, long offset) {
        return new Tensor(name, param.shape(), block.asSlice(offset * Float.BYTES, param.size() * Float.BYTES));
    }
}
