package dev.residual.processor;

import static com.google.testing.compile.Compiler.javac;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.JavaFileObjects;
import javax.tools.JavaFileObject;

/** Compiles model sources with the processor, as a user's build would. */
final class Sources {

    static final String IMPORTS = """
            package test;

            import dev.residual.dsl.*;
            import dev.residual.runtime.Layer;
            import static dev.residual.dsl.PoolKind.*;
            import static dev.residual.dsl.NormKind.*;
            import static dev.residual.dsl.Shortcut.*;
            import static dev.residual.dsl.Activation.*;

            """;

    private Sources() {}

    /** A source file {@code test.<name>} made of the common imports and the given body. */
    static JavaFileObject model(String name, String body) {
        return JavaFileObjects.forSourceString("test." + name, IMPORTS + body);
    }

    static Compilation compile(JavaFileObject... sources) {
        return javac().withProcessors(new ResidualProcessor()).compile(sources);
    }

    /** The 1-based line of the first line containing {@code marker} in a body, counted in the whole file. */
    static long lineOf(String body, String marker) {
        String[] lines = (IMPORTS + body).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(marker)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("no line contains " + marker);
    }
}
