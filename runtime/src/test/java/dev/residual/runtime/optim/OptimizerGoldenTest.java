package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Five steps of each optimizer against torch 1.13 ({@code make_optim_golden.py}): the same initial parameters, the
 * same gradients and the same learning rates, compared after every step to ≤ 1e-6 relative. The parameter vector has
 * runs of zero "padding" (zero gradient too), which must stay exactly zero, state included.
 */
class OptimizerGoldenTest {

    private static final int STEPS = 5;
    /** Offsets of the blocks inside their segments, so that the offset arithmetic is exercised. */
    private static final long P_OFF = 7, G_OFF = 3, S_OFF = 5;

    private static OptimGolden golden;
    private static final List<String> report = new ArrayList<>();

    @BeforeAll
    static void open() {
        golden = OptimGolden.open();
    }

    @AfterAll
    static void close() {
        golden.close();
        report.forEach(System.out::println);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("sgd_plain", new Sgd()),
                Arguments.of("sgd_momentum", new Sgd(0.9, 5e-4)),
                Arguments.of("sgd_nesterov", new Sgd(0.9, 0, 5e-4, true)),
                Arguments.of("sgd_dampening", new Sgd(0.9, 0.1, 5e-4, false)),
                Arguments.of("sgd_warmup_cosine", new Sgd(0.9, 5e-4)),
                Arguments.of("adamw", new AdamW(0.01)),
                Arguments.of("adamw_betas", new AdamW(0.8, 0.95, 1e-6, 0.05, false)),
                Arguments.of("adamw_amsgrad", new AdamW(0.9, 0.999, 1e-8, 0.01, true)),
                Arguments.of("adamw_step_decay", new AdamW()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorch(String name, Optimizer optimizer) {
        float[] init = golden.floats("params.init");
        int p = init.length;
        double[] lrs = golden.doubles(name + ".lr");
        assertEquals(STEPS, lrs.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate((P_OFF + p + 4) * Float.BYTES, 64);
            MemorySegment grads = arena.allocate((G_OFF + p) * Float.BYTES, 64);
            MemorySegment state = arena.allocate((S_OFF + optimizer.stateFloats(p) + 1) * Float.BYTES, 64);
            MemorySegment.copy(init, 0, params, JAVA_FLOAT, P_OFF * Float.BYTES, p);
            int identical = 0;
            for (int t = 0; t < STEPS; t++) {
                MemorySegment.copy(golden.row("grads", t), 0, grads, JAVA_FLOAT, G_OFF * Float.BYTES, p);
                optimizer.step(params, P_OFF, grads, G_OFF, state, S_OFF, p, t + 1, lrs[t]);
                identical += OptimGolden.assertClose(golden.row(name + ".params", t), params, P_OFF,
                        name + " after step " + (t + 1));
            }
            for (int i = 0; i < p; i++) {
                if (init[i] == 0) {
                    assertEquals(0, Float.floatToRawIntBits(params.getAtIndex(JAVA_FLOAT, P_OFF + i)),
                            name + ": padding parameter " + i);
                    for (int slot = 0; slot < optimizer.stateSlots(); slot++) {
                        assertEquals(0, Float.floatToRawIntBits(
                                state.getAtIndex(JAVA_FLOAT, S_OFF + (long) slot * p + i)),
                                name + ": state slot " + slot + " of padding parameter " + i);
                    }
                }
            }
            synchronized (report) {
                report.add(String.format("optimizer golden %-18s %3d of %3d values bit-identical to PyTorch", name,
                        identical, STEPS * p));
            }
        }
    }

    /** The short form (offsets 0) over a whole block gives the same result. */
    @Test
    void shortFormMatches() {
        float[] init = golden.floats("params.init");
        int p = init.length;
        AdamW adamw = new AdamW(0.01);
        double[] lrs = golden.doubles("adamw.lr");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocateFrom(JAVA_FLOAT, init);
            MemorySegment grads = arena.allocate((long) p * Float.BYTES);
            MemorySegment state = arena.allocate(adamw.stateFloats(p) * Float.BYTES);
            for (int t = 0; t < STEPS; t++) {
                MemorySegment.copy(golden.row("grads", t), 0, grads, JAVA_FLOAT, 0, p);
                adamw.step(params, grads, state, p, t + 1, lrs[t]);
                OptimGolden.assertClose(golden.row("adamw.params", t), params, 0, "adamw short form, step " + (t + 1));
            }
        }
    }

    /** The learning rates the golden runs used with a schedule are the Java schedules' values. */
    @Test
    void scheduledRunsUseTheJavaSchedules() {
        LearningRate warmupCosine = new LinearWarmup(new Cosine(0.1, 0.001, 4), 0.25, 2);
        LearningRate stepDecay = new StepDecay(1e-3, 2, 0.5);
        double[] sgd = golden.doubles("sgd_warmup_cosine.lr");
        double[] adamw = golden.doubles("adamw_step_decay.lr");
        for (int t = 0; t < STEPS; t++) {
            OptimGolden.assertClose(sgd[t], warmupCosine.at(t), 1e-15, "warm-up cosine at " + t);
            OptimGolden.assertClose(adamw[t], stepDecay.at(t), 1e-15, "step decay at " + t);
        }
    }
}
