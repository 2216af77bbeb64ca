package dev.residual.samples.depth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.model.CompiledModel;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The plain twin is the residual net without its skips: same parameters minus projections, and no additions. */
class PlainTwinTest {

    private static Map<String, List<Integer>> shapes(CompiledModel model) {
        return model.stateDict().stream().collect(Collectors.toMap(Tensor::name,
                t -> java.util.Arrays.stream(t.shape()).boxed().toList()));
    }

    @Test
    void hasTheResidualNetsParametersMinusTheProjections() {
        try (Plain20Net plain = new Plain20Net(); ResNet20Net residual = new ResNet20Net()) {
            Map<String, List<Integer>> withoutShortcuts = shapes(residual);
            int before = withoutShortcuts.size();
            withoutShortcuts.keySet().removeIf(name -> name.contains(".shortcut."));
            assertEquals(10, before - withoutShortcuts.size(), "two projections of conv + norm (1 + 4 tensors)");
            assertEquals(withoutShortcuts, shapes(plain));
            assertTrue(Plain20Net.PARAMETER_COUNT < ResNet20Net.PARAMETER_COUNT);
        }
    }

    /**
     * With every block's last norm set to output zero, a residual stage passes its input through (relu(0 + x) = x for
     * x ≥ 0, which the stem's ReLU guarantees), and a plain stage outputs zeros: nothing is added back.
     */
    @Test
    void aPlainBlockAddsNothingBackWhereAResidualBlockAddsItsInput() {
        try (Plain8Net plain = new Plain8Net(); ResNet8Net residual = new ResNet8Net()) {
            float[] stemOut = silencedStage(residual);
            float[] residualStage = residual.layers().get(1).output().toArray();
            assertArrayEquals(stemOut, residualStage, 0f);
            assertTrue(max(stemOut) > 0, "the stem's output is not all zero");

            silencedStage(plain);
            assertEquals(0f, max(plain.layers().get(1).output().toArray()));
        }
    }

    /** Zeroes the last norm of stage1's only block, runs two samples, returns the stem's output. */
    private static float[] silencedStage(CompiledModel model) {
        for (String name : List.of("stage1.0.conv2.1.weight", "stage1.0.conv2.1.bias")) {
            model.tensor(name).data().fill((byte) 0);
        }
        float[] images = new float[2 * 28 * 28];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) random.nextGaussian();
        }
        new Nets.Instance(model).forward(2, images, new float[2 * 10]);
        return model.layers().get(0).output().toArray();
    }

    private static float max(float[] values) {
        float max = Float.NEGATIVE_INFINITY;
        for (float value : values) {
            max = Math.max(max, value);
        }
        return max;
    }
}
