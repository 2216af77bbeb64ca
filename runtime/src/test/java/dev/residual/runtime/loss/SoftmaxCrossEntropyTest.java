package dev.residual.runtime.loss;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.optim.OptimGolden;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cross-entropy against PyTorch's {@code cross_entropy(label_smoothing=ε)} in float64 ({@code make_optim_golden.py}),
 * the label checks, stability and the accuracy helpers.
 */
class SoftmaxCrossEntropyTest {

    private static final float SENTINEL = Float.intBitsToFloat(0x7fc0dead);
    private static final long OFF = 5, D_OFF = 3;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ce", "ce_smooth", "ce_huge", "ce_single"})
    void matchesPyTorch(String name) {
        try (OptimGolden golden = OptimGolden.open(); Arena arena = Arena.ofConfined()) {
            long[] shape = golden.shape(name + ".logits");
            int classes = (int) shape[0], n = (int) shape[1];
            float[] logits = golden.floats(name + ".logits");
            float[] grad = golden.floats(name + ".grad");
            int[] labels = golden.labels(name + ".labels");
            float smoothing = (float) golden.scalar(name + ".smoothing");
            double loss = golden.scalar(name + ".loss");
            MemorySegment x = place(arena, logits, OFF);
            MemorySegment d = filled(arena, D_OFF + logits.length + 2);

            float actual = SoftmaxCrossEntropy.forward(x, OFF, classes, n, labels, smoothing, d, D_OFF);
            OptimGolden.assertClose(loss, actual, 1e-6, name + " loss");
            OptimGolden.assertClose(grad, d, D_OFF, name + " gradient");
            assertUntouched(d, D_OFF, logits.length, name);
            assertArrayEquals(logits, x.asSlice(OFF * 4, logits.length * 4L).toArray(JAVA_FLOAT), "logits unchanged");

            MemorySegment labelInts = arena.allocate((2L + n) * Integer.BYTES);
            MemorySegment.copy(labels, 0, labelInts, JAVA_INT, 2L * Integer.BYTES, n);
            MemorySegment d2 = filled(arena, D_OFF + logits.length);
            assertEquals(actual, SoftmaxCrossEntropy.forward(x, OFF, classes, n, labelInts, 2, smoothing, d2, D_OFF));
            assertArrayEquals(d.asSlice(D_OFF * 4, logits.length * 4L).toArray(JAVA_FLOAT),
                    d2.asSlice(D_OFF * 4).toArray(JAVA_FLOAT), "labels from a segment");

            assertEquals(actual, SoftmaxCrossEntropy.forward(x, OFF, classes, n, labels, smoothing, null, 0),
                    "loss alone");
            assertEquals(actual, SoftmaxCrossEntropy.forward(x, OFF, classes, n, labels, smoothing, x, OFF),
                    "in place");
            OptimGolden.assertClose(grad, x, OFF, name + " gradient in place");
        }
    }

    @Test
    void outOfRangeLabelsAreRefusedBeforeAnythingIsWritten() {
        int classes = 7, n = 4;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = place(arena, new float[classes * n], 0);
            MemorySegment d = filled(arena, classes * n);
            for (int[] labels : new int[][] {{0, 1, 7, 2}, {0, 1, 2, -1}, {9, 0, 0, 0}}) {
                int bad = 0;
                while (labels[bad] >= 0 && labels[bad] < classes) {
                    bad++;
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> SoftmaxCrossEntropy.forward(x, 0, classes, n, labels, 0.1f, d, 0));
                String message = e.getMessage();
                assertTrue(message.contains("sample " + bad) && message.contains("label " + labels[bad])
                        && message.contains("[0, 7)"), message);
                assertUntouched(d, 0, 0, Arrays.toString(labels));

                MemorySegment ints = arena.allocateFrom(JAVA_INT, labels);
                e = assertThrows(IllegalArgumentException.class,
                        () -> SoftmaxCrossEntropy.forward(x, 0, classes, n, ints, 0, 0.1f, d, 0));
                assertEquals(message, e.getMessage());
                assertUntouched(d, 0, 0, Arrays.toString(labels));
                e = assertThrows(IllegalArgumentException.class,
                        () -> SoftmaxCrossEntropy.correct(x, 0, classes, n, labels));
                assertEquals(message, e.getMessage());
            }
            // the check covers the first n labels only: a longer array is fine
            SoftmaxCrossEntropy.forward(x, 0, classes, 2, new int[] {1, 2, 99}, 0, d, 0);
        }
    }

    @Test
    void otherBadArgumentsWriteNothing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(12 * Float.BYTES);
            MemorySegment d = filled(arena, 12);
            int[] labels = {0, 1, 2, 0};
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 4, new int[] {0, 1}, 0, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 4, (int[]) null, 0, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 4, labels, -0.1f, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 4, labels, Float.NaN, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 4, labels, 1.5f, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 0, labels, 0, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 0, 4, labels, 0, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 1, 3, 4, labels, 0, d, 0));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 4, labels, 0, d, 1));
            assertThrows(IllegalArgumentException.class,
                    () -> SoftmaxCrossEntropy.forward(x, 0, 3, 4, arena.allocate(12), 0, 0, d, 0));
            assertUntouched(d, 0, 0, "bad arguments");
        }
    }

    /** Logits of ±1e4 and near the float limit: no overflow, the exact answer where it is known. */
    @Test
    void hugeLogitsAreStable() {
        int classes = 3, n = 4;
        // channel-major: sample s's logits are x[s], x[n + s], x[2n + s]
        float[] x = {1e4f, -1e4f, 3e38f, 1e4f,
                1e4f, 1e4f, -3e38f, 1e4f - 1,
                -1e4f, 1e4f, 0, 1e4f - 2};
        int[] labels = {0, 0, 0, 1};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment logits = place(arena, x, 0), d = filled(arena, x.length);
            float loss = SoftmaxCrossEntropy.forward(logits, 0, classes, n, labels, 0, d, 0);
            // sample 0: log 2 (two equal logits, the third e^-2e4 below); sample 1: 2e4 + log 2 (the label is
            // 2e4 below the two largest); sample 2: 0 (softmax 1 at the label);
            // sample 3: logsumexp(0, -1, -2) - (-1)
            double l3 = Math.log(1 + Math.exp(-1) + Math.exp(-2)) + 1;
            double expected = (Math.log(2) + 2e4 + Math.log(2) + 0 + l3) / 4;
            OptimGolden.assertClose(expected, loss, 1e-6, "loss");
            assertEquals(0.5 / 4 - 1.0 / 4, d.getAtIndex(JAVA_FLOAT, 0), 1e-9);
            assertEquals(0.5 / 4, d.getAtIndex(JAVA_FLOAT, n), 1e-9);
            assertEquals(0, d.getAtIndex(JAVA_FLOAT, 2 * n), 1e-9);
            assertEquals(0, d.getAtIndex(JAVA_FLOAT, 2), 1e-9, "softmax 1 at the label");
            float sum = 0;
            for (int s = 0; s < n; s++) {
                sum = 0;
                for (int k = 0; k < classes; k++) {
                    float g = d.getAtIndex(JAVA_FLOAT, (long) k * n + s);
                    assertTrue(Float.isFinite(g), "gradient " + k + ", " + s);
                    sum += g;
                }
                assertEquals(0, sum, 1e-7, "a sample's gradient sums to 0");
            }
            float smoothed = SoftmaxCrossEntropy.forward(logits, 0, classes, n, labels, 0.1f, d, 0);
            assertTrue(Float.isFinite(smoothed) && smoothed > loss, "smoothing adds the cost of the far classes");
        }
    }

    @Test
    void nanLogitsGiveNaN() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment logits = place(arena, new float[] {1, Float.NaN, 2, 3}, 0), d = filled(arena, 4);
            float loss = SoftmaxCrossEntropy.forward(logits, 0, 2, 2, new int[] {0, 0}, 0, d, 0);
            assertTrue(Float.isNaN(loss));
            assertTrue(Float.isNaN(d.getAtIndex(JAVA_FLOAT, 1)) && Float.isNaN(d.getAtIndex(JAVA_FLOAT, 3)));
            assertEquals(-0.5f + (float) (1 / (1 + Math.exp(1)) / 2), d.getAtIndex(JAVA_FLOAT, 0), 1e-7,
                    "the other sample is unaffected");
        }
    }

    @Test
    void argmaxAndCorrect() {
        // 3 classes, 5 samples, channel-major
        float[] x = {0, 5, 1, 2, Float.NaN,
                3, 5, 1, 7, 9,
                2, 4, 1, -1, Float.NaN};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment logits = place(arena, x, 2);
            int[] expected = {1, 0, 0, 1, 0};
            for (int s = 0; s < 5; s++) {
                assertEquals(expected[s], SoftmaxCrossEntropy.argmax(logits, 2, 3, 5, s), "sample " + s);
            }
            assertEquals(5, SoftmaxCrossEntropy.correct(logits, 2, 3, 5, expected));
            assertEquals(2, SoftmaxCrossEntropy.correct(logits, 2, 3, 5, new int[] {1, 1, 0, 2, 2}));
            assertEquals(1, SoftmaxCrossEntropy.correct(logits, 2, 3, 1, new int[] {1}));
            assertThrows(IllegalArgumentException.class, () -> SoftmaxCrossEntropy.argmax(logits, 2, 3, 5, 5));
        }
    }

    static MemorySegment place(Arena arena, float[] values, long off) {
        MemorySegment segment = filled(arena, off + values.length + 2);
        MemorySegment.copy(values, 0, segment, JAVA_FLOAT, off * Float.BYTES, values.length);
        return segment;
    }

    /** A segment of {@code floats} floats, each a NaN with a payload no computation produces. */
    static MemorySegment filled(Arena arena, long floats) {
        MemorySegment segment = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, SENTINEL);
        }
        return segment;
    }

    /** Fails unless every float outside {@code [off, off + used)} still holds the sentinel. */
    static void assertUntouched(MemorySegment segment, long off, long used, String what) {
        for (long i = 0; i < segment.byteSize() / Float.BYTES; i++) {
            if (i < off || i >= off + used) {
                assertEquals(Float.floatToRawIntBits(SENTINEL), Float.floatToRawIntBits(
                        segment.getAtIndex(JAVA_FLOAT, i)), what + ": float " + i + " was written");
            }
        }
    }
}
