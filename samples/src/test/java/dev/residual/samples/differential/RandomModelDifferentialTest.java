package dev.residual.samples.differential;

import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.gemm.JavaGemm;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.runtime.model.CompiledModel;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Randomly drawn valid models, each compiled by the processor at test time and loaded from its class files: the
 * generated code and the interpreter of its graph agree on the forward output, the loss and every gradient (see
 * {@link Agreement}). Each case draws its model from a generator seeded with the case's number, so a failure names a
 * seed that reproduces it; few cases, because each compiles a model with javac (about a second on 2 cores).
 */
class RandomModelDifferentialTest {

    /** How many models are drawn. */
    private static final int MODELS = 16;

    static LongStream seeds() {
        return LongStream.range(20261127L, 20261127L + MODELS);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void generatedAndInterpretedAgree(long seed) throws Throwable {
        DrawnModel drawn = DrawnModel.draw(new SplittableRandom(seed));
        String name = "Drawn" + seed;
        String source = drawn.source("drawn", name);
        Class<?> generated = MemoryClassLoader.compile("drawn." + name, source).loadClass("drawn." + name + "Net");
        // The pure-Java GEMM: deterministic, and no native library needed on any machine.
        Gemm gemm = new JavaGemm(1);
        try (CompiledModel model = (CompiledModel) generated.getConstructor(Gemm.class, long.class)
                .newInstance(gemm, 3L);
             Interpreter interpreter = Interpreter.of(generated, gemm, 3L)) {
            Agreement.check(model, interpreter, drawn.batch(), 2, 5L);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nmodel (seed " + seed + "):\n" + source, e);
        }
    }
}
