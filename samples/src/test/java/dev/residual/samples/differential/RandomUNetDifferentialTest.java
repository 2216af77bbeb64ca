package dev.residual.samples.differential;

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
        Agreement.checkDrawn(name, drawn.source("drawn", name), drawn.batch(), seed);
    }
}
