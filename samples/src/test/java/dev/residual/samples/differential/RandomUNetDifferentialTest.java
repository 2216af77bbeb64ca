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
 * Randomly drawn valid U-Nets ({@link DrawnUNet}), compiled at test time: generated code and the interpreter of its
 * graph agree on the forward output, the per-pixel loss, every gradient and two updates (see {@link Agreement}). A
 * failure names the seed that draws the model.
 */
class RandomUNetDifferentialTest {

    private static final int MODELS = 8;

    static LongStream seeds() {
        return LongStream.range(20261128L, 20261128L + MODELS);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void generatedAndInterpretedAgree(long seed) throws Throwable {
        DrawnUNet drawn = DrawnUNet.draw(new SplittableRandom(seed));
        String name = "DrawnUNet" + seed;
        String source = drawn.source("drawn", name);
        Class<?> generated = MemoryClassLoader.compile("drawn." + name, source).loadClass("drawn." + name + "Net");
        Gemm gemm = new JavaGemm(1); // deterministic, and no native library needed on any machine
        try (CompiledModel model = (CompiledModel) generated.getConstructor(Gemm.class, long.class)
                .newInstance(gemm, 3L);
             Interpreter interpreter = Interpreter.of(generated, gemm, 3L)) {
            Agreement.check(model, interpreter, drawn.batch(), 2, 5L);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nmodel (seed " + seed + "):\n" + source, e);
        }
    }
}
