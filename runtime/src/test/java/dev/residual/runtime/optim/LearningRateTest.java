package dev.residual.runtime.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The schedules against the closed forms {@code make_optim_golden.py} prints (which it checks against torch's
 * StepLR, CosineAnnealingLR and SequentialLR(LinearLR, ·) to 1e-12), at t = 0..12.
 */
class LearningRateTest {

    private static final Map<String, LearningRate> SCHEDULES = Map.of(
            "step_decay", new StepDecay(0.1, 3, 0.5),
            "cosine", new Cosine(0.1, 0.001, 8),
            "warmup_cosine", new Cosine(0.1, 0.001, 8).withWarmup(0.25, 4),
            "warmup_step_decay", new LinearWarmup(new StepDecay(0.01, 2, 0.1), 0.1, 3));

    @Test
    void matchTheClosedFormsAndTorch() {
        try (OptimGolden golden = OptimGolden.open()) {
            SCHEDULES.forEach((name, schedule) -> {
                double[] expected = golden.doubles("schedule." + name);
                assertEquals(13, expected.length);
                for (int t = 0; t < expected.length; t++) {
                    OptimGolden.assertClose(expected[t], schedule.at(t), 1e-14, name + " at t=" + t);
                }
            });
        }
    }

    @Test
    void valuesAtAFewSteps() {
        StepDecay step = new StepDecay(0.1, 30, 0.1);
        assertEquals(0.1, step.at(0));
        assertEquals(0.1, step.at(29));
        assertEquals(0.1 * 0.1, step.at(30), 1e-18);
        assertEquals(0.1 * Math.pow(0.1, 3), step.at(95), 1e-18);

        Cosine cosine = new Cosine(0.4, 100);
        assertEquals(0.4, cosine.at(0));
        assertEquals(0.2, cosine.at(50), 1e-16);
        assertEquals(0.0, cosine.at(100), 1e-16);
        assertEquals(0.4 * (1 + Math.cos(Math.PI * 0.25)) / 2, cosine.at(25), 1e-16);
        assertTrue(cosine.at(150) > cosine.at(100), "like PyTorch's closed form, the rate rises again past the period");

        LearningRate warm = new LinearWarmup(cosine, 0.1, 10);
        assertEquals(0.04, warm.at(0), 1e-16);
        assertEquals(0.4 * (0.1 + 0.9 * 5 / 10), warm.at(5), 1e-16);
        assertEquals(0.4, warm.at(10));          // the wrapped schedule starts its own count
        assertEquals(cosine.at(25), warm.at(35));
        assertEquals(cosine.at(7), new LinearWarmup(cosine, 0.5, 0).at(7), "no warm-up");

        LearningRate epochs = new StepDecay(1, 2, 0.5).perEpoch(100);
        assertEquals(1, epochs.at(0));
        assertEquals(1, epochs.at(199));
        assertEquals(0.5, epochs.at(200));
        assertEquals(0.25, epochs.at(401));
        assertEquals(0.03, LearningRate.constant(0.03).at(12345));
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> new StepDecay(0.1, 0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new StepDecay(-0.1, 1, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Cosine(0.1, 0.0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Cosine(Double.NaN, 10));
        assertThrows(IllegalArgumentException.class, () -> new LinearWarmup(null, 0.1, 5));
        assertThrows(IllegalArgumentException.class, () -> new LinearWarmup(LearningRate.constant(1), 1.5, 5));
        assertThrows(IllegalArgumentException.class, () -> new LinearWarmup(LearningRate.constant(1), 0.5, -1));
        assertThrows(IllegalArgumentException.class, () -> LearningRate.constant(1).perEpoch(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Cosine(1, 10).at(-1));
        assertTrue(e.getMessage().contains("t = -1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new StepDecay(1, 1, 1).at(-1));
        assertThrows(IllegalArgumentException.class, () -> LearningRate.constant(1).at(-3));
    }
}
