package dev.residual.processor.emit.ops;

import com.palantir.javapoet.CodeBlock;

/** Small pieces shared by the emitters. */
final class Emit {

    /** An absent optional tensor argument. */
    static final CodeBlock NONE = CodeBlock.of("null, 0L");

    private Emit() {}

    /** A float literal that reads back as exactly the same float. */
    static String floatLiteral(double value) {
        return Float.toString((float) value) + "f";
    }
}
