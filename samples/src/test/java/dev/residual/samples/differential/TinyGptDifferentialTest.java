package dev.residual.samples.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.runtime.model.CompiledModel;
import dev.residual.samples.parity.SequenceModels;
import dev.residual.samples.parity.TinyGptNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The parity Transformers (embeddings, causal and full attention, layer norms, MLPs; {@link SequenceModels}):
 * generated code and the interpreter of its graph resource agree (see {@link Agreement}) on token ids with a label
 * per position.
 */
class TinyGptDifferentialTest {

    @Test
    void generatedAndInterpretedTinyGptAgree() throws Throwable {
        try (TinyGptNet model = new TinyGptNet(Backends.defaultGemm(), 3L);
             Interpreter interpreter = Interpreter.of(TinyGptNet.class, model.gemm(), 3L)) {
            assertEquals(TinyGptNet.INPUT_SIZE, interpreter.inputSize());
            assertEquals(TinyGptNet.OUTPUT_SIZE, interpreter.outputSize());
            // fewer sequences than the batch, so the columns n·T differ from the planned BATCH·T
            Agreement.check(model, interpreter, 3, 2, 5L);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SequenceModels.class)
    void generatedAndInterpretedAgreeOnEverySequenceShape(SequenceModels shape) throws Throwable {
        int batch;
        try (CompiledModel model = shape.create(Backends.defaultGemm(), 0L)) {
            batch = model.batchCapacity();
        }
        // the planned batch, and one sequence fewer where there is room (fewer columns n·T than planned)
        for (int n : new int[] {batch, Math.max(1, batch - 1)}) {
            try (CompiledModel model = shape.create(Backends.defaultGemm(), 11L + n);
                 Interpreter interpreter = Interpreter.of(model.getClass(), model.gemm(), 11L + n)) {
                Agreement.check(model, interpreter, n, 2, 17L * n);
            }
        }
    }

    @Test
    void tokenIdsOutOfRangeAreRefusedNamingThePosition() {
        try (Interpreter interpreter = Interpreter.of(TinyGptNet.class, Backends.defaultGemm(), 0L)) {
            float[] input = new float[interpreter.inputSize()];
            input[4] = TinyGptNet.VOCABULARY;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> interpreter.forward(1, input, new float[interpreter.outputSize()]));
            assertTrue(e.getMessage().contains("position 4"), e.getMessage());
        }
    }
}
