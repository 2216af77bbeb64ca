package dev.residual.samples.differential;

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
        Agreement.checkDrawn(name, drawn.source("drawn", name), drawn.batch(), seed);
    }
}
