package dev.residual.processor.emit;

import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.graph.Param;
import dev.residual.processor.graph.Value;
import dev.residual.processor.names.Names;
import dev.residual.processor.plan.MemoryPlan;

/**
 * Names the generated code uses for memory: each parameter, buffer and activation is a {@code private static final
 * long} offset constant into its block, so a tensor is written {@code parameters, STEM_0_WEIGHT}.
 */
public final class Symbols {

    public static final String RUNTIME = "dev.residual.runtime";
    public static final ClassName GEMM = ClassName.get(RUNTIME + ".gemm", "Gemm");
    public static final ClassName BACKENDS = ClassName.get(RUNTIME + ".gemm", "Backends");
    public static final ClassName LAYER = ClassName.get(RUNTIME, "Layer");
    public static final ClassName COMPILED_MODEL = ClassName.get(RUNTIME + ".model", "CompiledModel");
    public static final ClassName PARAMETER_SPEC = ClassName.get(RUNTIME + ".model", "ParameterSpec");
    public static final ClassName LAYER_SPEC = ClassName.get(RUNTIME + ".model", "LayerSpec");
    public static final ClassName MEMORY_SEGMENT = ClassName.get("java.lang.foreign", "MemorySegment");
    public static final ClassName VALUE_LAYOUT = ClassName.get("java.lang.foreign", "ValueLayout");

    /** A kernel class of {@code dev.residual.runtime.ops}. */
    public static ClassName kernel(String simpleName) {
        return ClassName.get(RUNTIME + ".ops", simpleName);
    }

    private final MemoryPlan plan;

    public Symbols(MemoryPlan plan) {
        this.plan = plan;
    }

    /** The offset constant of a parameter or buffer. */
    public static String constant(Param param) {
        return Names.constant(param.name());
    }

    /** The offset constant of an activation. */
    public String constant(Value value) {
        return Names.constant(storage(value).name()) + "_OUT";
    }

    /** The value that owns a fused value's memory. */
    public Value storage(Value value) {
        long offset = plan.offset(value);
        return plan.activations().entrySet().stream().filter(e -> e.getValue() == offset).findFirst()
                .orElseThrow().getKey();
    }

    /** The offset constant of a value's gradient. */
    public String gradientConstant(Value value) {
        return Names.constant(storage(value).name()) + "_GRAD";
    }

    /** The offset constants of a norm's saved mean and 1/σ. */
    public static String savedConstant(dev.residual.processor.graph.Node node, String statistic) {
        return Names.constant(node.path()) + "_" + statistic;
    }

    /** {@code activations, STEM_0_GRAD}: the gradient of a value. */
    public CodeBlock gradient(Value value) {
        return CodeBlock.of("activations, $N", gradientConstant(value));
    }

    /** The gradient of a node's input, or {@code null, 0L} for the model input, which needs none. */
    public CodeBlock inputGradient(Value value) {
        return value.equals(plan.graph().input()) ? CodeBlock.of("null, 0L") : gradient(value);
    }

    /** {@code activations, STEM_1_MEAN} or {@code activations, STEM_1_RSTD}. */
    public CodeBlock saved(dev.residual.processor.graph.Node node, String statistic) {
        return CodeBlock.of("activations, $N", savedConstant(node, statistic));
    }

    /** {@code gradients, STEM_0_WEIGHT}: a parameter's gradient, at the parameter's offset in the gradient block. */
    public CodeBlock parameterGradient(Param param) {
        return CodeBlock.of("gradients, $N", constant(param));
    }

    /** {@code activations, STEM_0_OUT}. */
    public CodeBlock tensor(Value value) {
        return CodeBlock.of("activations, $N", constant(value));
    }

    /** {@code parameters, STEM_0_WEIGHT} or {@code buffers, STEM_1_RUNNING_MEAN}. */
    public CodeBlock tensor(Param param) {
        return CodeBlock.of("$N, $N", param.trainable() ? "parameters" : "buffers", constant(param));
    }

    /** The scratch area: {@code activations, SCRATCH}. */
    public CodeBlock scratch() {
        return CodeBlock.of("activations, SCRATCH");
    }

    /** A second tensor in the scratch area, after {@code floats} floats of the first (rounded up to 64 bytes). */
    public CodeBlock scratchAfter(long floats) {
        long offset = (floats + MemoryPlan.ALIGN - 1) / MemoryPlan.ALIGN * MemoryPlan.ALIGN;
        return CodeBlock.of("activations, SCRATCH + $LL", offset);
    }

    /** The largest batch, for sizing scratch tensors. */
    public int batch() {
        return plan.graph().batch();
    }

    /** Whether a value is the model's input, which needs no gradient. */
    public boolean isModelInput(Value value) {
        return value.equals(plan.graph().input());
    }
}
