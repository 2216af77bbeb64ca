package dev.residual.samples.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.samples.parity.SmallUNetNet;
import org.junit.jupiter.api.Test;

/**
 * The parity U-Net (max pooling, a transposed convolution, a nearest upsampling, two concatenated skips, the
 * per-pixel loss): generated code and the interpreter of its graph resource agree (see {@link Agreement}).
 */
class UNetDifferentialTest {

    @Test
    void generatedAndInterpretedUNetAgree() throws Throwable {
        try (SmallUNetNet model = new SmallUNetNet(Backends.defaultGemm(), 11L);
             Interpreter interpreter = Interpreter.of(SmallUNetNet.class, model.gemm(), 11L)) {
            assertEquals(SmallUNetNet.INPUT_SIZE, interpreter.inputSize());
            assertEquals(SmallUNetNet.OUTPUT_SIZE, interpreter.outputSize());
            assertTrue(interpreter.graph().pixelLoss());
            // fewer samples than the batch, so every channel-major row is shorter than planned
            Agreement.check(model, interpreter, 3, 3, 13L);
        }
    }
}
