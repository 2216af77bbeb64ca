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
}
