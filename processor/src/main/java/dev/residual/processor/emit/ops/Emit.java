package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;
import dev.residual.processor.emit.Symbols;
import dev.residual.processor.graph.Shape;
import dev.residual.processor.graph.Value;

/** Small pieces shared by the emitters. */
final class Emit {

    /** An absent optional tensor argument. */
    static final CodeBlock NONE = CodeBlock.of("null, 0L");

    private Emit() {}

    /** A float literal that reads back as exactly the same float. */
    static String floatLiteral(double value) {
        return Float.toString((float) value) + "f";
    }

    /** Copies (or adds) the gradient of {@code from} into the gradient of {@code to}: the backward of a skip. */
    static CodeBlock sendGradient(Symbols symbols, Value from, Value to, Shape shape, boolean accumulate) {
        return CodeBlock.builder().addStatement("$T.accumulate($L, $L, $L, n, $L, $L)", Symbols.kernel("Elementwise"),
                symbols.gradient(from), shape.channels(), shape.spatial(), symbols.gradient(to), !accumulate).build();
    }
}
