package dev.residual.samples.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.samples.parity.TinyGptNet;
import org.junit.jupiter.api.Test;

/**
 * The parity Transformer (embeddings, causal attention, layer norms, GELU MLPs): generated code and the interpreter
 * of its graph resource agree (see {@link Agreement}) on token ids with a label per position.
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
