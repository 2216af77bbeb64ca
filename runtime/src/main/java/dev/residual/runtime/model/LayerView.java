package dev.residual.runtime.model;

import dev.residual.runtime.Layer;
import dev.residual.runtime.Tensor;
import java.util.List;

/** The {@link Layer} a generated layer method returns: reads the model's memory, copies nothing. */
final class LayerView implements Layer {

    private final CompiledModel model;
    private final LayerSpec spec;

    LayerView(CompiledModel model, LayerSpec spec) {
        this.model = model;
        this.spec = spec;
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public int[] shape() {
        return spec.shape().clone();
    }

    @Override
    public Tensor output() {
        int n = model.lastBatch();
        if (n == 0) {
            throw new IllegalStateException("layer " + spec.name() + " has no output before the first forward pass");
        }
        int[] dims = spec.shape();
        int[] shape = new int[dims.length + 1];
        shape[0] = dims[0];
        shape[1] = n;
        System.arraycopy(dims, 1, shape, 2, dims.length - 1);
        return new Tensor(spec.name(), shape, model.activationSlice(spec.outputOffset(), Tensor.elementCount(shape)));
    }

    @Override
    public List<Tensor> parameters() {
        return model.stateWithPrefix(spec.name());
    }

    @Override
    public String toString() {
        return "Layer " + spec.name() + java.util.Arrays.toString(spec.shape());
    }
}
