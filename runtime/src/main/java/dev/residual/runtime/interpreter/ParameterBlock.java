package dev.residual.runtime.interpreter;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.interpreter.ModelGraph.Param;
import dev.residual.runtime.ops.Init;
import dev.residual.runtime.random.TorchGenerator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
     * Fills every parameter as a generated class does from the same seed (PyTorch's defaults, in the same order from
     * the same generator), so an interpreter and a generated model built with one seed start equal.
     */
    void initialize(long seed) {
        TorchGenerator random = new TorchGenerator(seed);
        for (Param param : params) {
            Slot slot = slots.get(param.name());
            Init.parameter(random, param.init(), param.fanIn(), slot.block(), slot.offset(), param.size());
        }
    }

    private static Tensor view(String name, Param param, MemorySegment block, long offset) {
        return new Tensor(name, param.shape(), block.asSlice(offset * Float.BYTES, param.size() * Float.BYTES));
    }
}
