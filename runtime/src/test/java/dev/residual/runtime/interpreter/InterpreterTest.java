package dev.residual.runtime.interpreter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.gemm.JavaGemm;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Sgd;
import org.junit.jupiter.api.Test;

/**
 * The interpreter on a hand-written graph whose result is easy to compute by hand; its agreement with generated
 * code on whole networks is the samples' differential test.
 */
class InterpreterTest {

    /** logits = W · relu(x) + b on 3 features. */
    static final String MLP = """
            residual-graph 1
            model Mlp MlpNet
            batch 2
            input 0 vector:3
            node relu act 0 1 vector:3
            node dense logits 1 2 vector:2 units=2 bias=true
            param logits.weight 2,3 trainable kaiming_uniform 3 logits
            param logits.bias 2 trainable fan_in_uniform 3 logits
            output 2
            """;

    private static Interpreter mlp() {
        Interpreter interpreter = new Interpreter(GraphReader.read(MLP, "Mlp.graph"), new JavaGemm(1), 0L);
        interpreter.tensor("logits.weight").copyFrom(new float[] {1, 2, 3, -1, 0, 1});
        interpreter.tensor("logits.bias").copyFrom(new float[] {0.5f, -0.5f});
        return interpreter;
    }

    @Test
    void forwardComputesEachOp() {
        try (Interpreter interpreter = mlp()) {
            float[] out = new float[4];
            interpreter.forward(2, new float[] {1, -2, 3, 0, 1, -1}, out);
            // sample 0: relu → (1, 0, 3): (1 + 9 + 0.5, -1 + 3 - 0.5); sample 1: relu → (0, 1, 0): (2.5, -0.5)
            assertEquals(10.5f, out[0], 1e-6f);
            assertEquals(1.5f, out[1], 1e-6f);
            assertEquals(2.5f, out[2], 1e-6f);
            assertEquals(-0.5f, out[3], 1e-6f);
        }
    }

    @Test
    void trainStepWritesGradientsByName() {
        try (Interpreter interpreter = mlp()) {
            interpreter.setOptimizer(new Sgd(0, 0), LearningRate.constant(0.1));
            float loss = interpreter.trainStep(1, new float[] {1, -2, 3}, new int[] {1});
            // logits (10.5, 1.5): p1 = 1/(1+e^9); dLogits = (p0, p1 - 1); dBias = dLogits; dW = dLogits · relu(x)ᵀ
            double p1 = 1 / (1 + Math.exp(9));
            assertEquals(-Math.log(p1), loss, 1e-4);
            assertEquals(1 - p1, interpreter.gradient("logits.bias").get(0), 1e-6);
            assertEquals(3 * (p1 - 1), interpreter.gradient("logits.weight").get(5), 1e-6);
            assertEquals(0f, interpreter.gradient("logits.weight").get(1));
            assertEquals(1, interpreter.step());
            assertEquals(0.5 - 0.1 * (1 - p1), interpreter.tensor("logits.bias").get(0), 1e-6);
        }
    }

    @Test
    void sameSeedSameParameters() {
        try (Interpreter a = new Interpreter(GraphReader.read(MLP, "a"), new JavaGemm(1), 3L);
             Interpreter b = new Interpreter(GraphReader.read(MLP, "b"), new JavaGemm(1), 3L)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(a.tensor("logits.weight").toArray(), b.tensor("logits.weight").toArray());
            float bound = (float) (1 / Math.sqrt(3));
            for (float w : a.tensor("logits.weight").toArray()) {
                assertTrue(Math.abs(w) <= bound && w != 0, "weight " + w);
            }
        }
    }

    @Test
    void badCallsAreClearErrors() {
        try (Interpreter interpreter = mlp()) {
            assertThrows(IllegalArgumentException.class, () -> interpreter.forward(3, new float[9], new float[6]));
            assertThrows(IllegalArgumentException.class, () -> interpreter.forward(2, new float[5], new float[4]));
            assertThrows(IllegalStateException.class, () -> interpreter.trainStep(1, new float[3], new int[] {0}));
            interpreter.setOptimizer(new Sgd(0, 0), LearningRate.constant(0.1));
            String message = assertThrows(IllegalArgumentException.class,
                    () -> interpreter.trainStep(1, new float[3], new int[] {2})).getMessage();
            assertTrue(message.contains("labels[0] = 2"), message);
            assertThrows(IllegalArgumentException.class, () -> interpreter.gradient("nope"));
        }
    }
}
