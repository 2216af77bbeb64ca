package dev.residual.processor.names;

import java.util.Locale;
import java.util.Set;

/**
 * How user names become generated names. Layer {@code stage1} gets constants {@code STAGE1_…} and methods
 * {@code stage1Forward}; the reserved names are the members every generated model has.
 */
public final class Names {

    /** Members of the generated class (and of its base, {@code CompiledModel}) that a layer may not be named. */
    public static final Set<String> RESERVED = Set.of(
            "forward", "trainStep", "evaluate", "parameters", "buffers", "stateDict", "load", "save", "close",
            "gemm", "parameterTable", "layers", "layer", "batch", "copy", "tensor", "describe", "output", "input",
            "toString", "hashCode", "equals", "getClass", "notify", "notifyAll", "wait", "clone", "finalize");

    private Names() {}

    /** {@code stage1.0.conv1} → {@code STAGE1_0_CONV1}; {@code convA} → {@code CONV_A}. */
    public static String constant(String path) {
        StringBuilder out = new StringBuilder();
        char previous = 0;
        for (char c : path.toCharArray()) {
            if (c == '.' || c == '_') {
                out.append('_');
            } else {
                if (Character.isUpperCase(c) && Character.isLowerCase(previous)) {
                    out.append('_');
                }
                out.append(Character.toUpperCase(c));
            }
            previous = c;
        }
        return out.toString().toUpperCase(Locale.ROOT);
    }

    /** {@code stage1.0.conv1} → {@code stage1_0_conv1}: a Java identifier for a path. */
    public static String identifier(String path) {
        return path.replace('.', '_');
    }
}
