package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Im2col#unrollBand}: bands of columns, each written on its own, piece together {@link Im2col#unroll}'s whole
 * column matrix bit for bit, wherever the band edges fall (inside a line, across lines, across images).
 */
class Im2colBandTest {

    @ParameterizedTest(name = "C{0} {1}×{2} K{3} pad {4}, images {5} of {6}")
    @CsvSource({"3, 7, 9, 3, 1, 1, 1", "2, 9, 7, 5, 2, 2, 3", "1, 4, 6, 1, 0, 2, 2", "4, 5, 5, 3, 1, 3, 4",
            "2, 6, 3, 3, 1, 1, 2"})
    void bandsPieceTogetherTheColumnMatrix(int C, int H, int W, int K, int pad, int count, int n) {
        assertTrue(Im2col.shifts(H, W, 1, Conv2d.outputSize(H, K, 1, pad), Conv2d.outputSize(W, K, 1, pad)));
        int s0 = n - count; // the chunk is the last images of the batch
        int columns = count * H * W;
        int depth = C * K * K;
        SplittableRandom random = new SplittableRandom(C * 31L + H * 7L + W + K + count);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate((long) n * C * H * W * Float.BYTES);
            for (long i = 0; i < in.byteSize() / Float.BYTES; i++) {
                in.setAtIndex(JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
            }
            MemorySegment whole = arena.allocate((long) depth * columns * Float.BYTES);
            Im2col.unroll(in, 0, C, H, W, n, s0, count, K, 1, pad, H, W, whole, 0);
            for (int trial = 0; trial < 20; trial++) {
                // Random cuts, and a band buffer full of garbage that every float of must be overwritten.
                int cut1 = random.nextInt(columns + 1), cut2 = random.nextInt(columns + 1);
                int[] edges = {0, Math.min(cut1, cut2), Math.max(cut1, cut2), columns};
                for (int b = 0; b + 1 < edges.length; b++) {
                    int first = edges[b], end = edges[b + 1], width = end - first;
                    MemorySegment band = arena.allocate(Math.max(1L, (long) depth * width) * Float.BYTES);
                    band.fill((byte) 0x7f);
                    Im2col.unrollBand(in, 0, C, H, W, n, s0, count, K, pad, first, end, band, 0);
                    for (int row = 0; row < depth; row++) {
                        for (int j = 0; j < width; j++) {
                            float expected = whole.getAtIndex(JAVA_FLOAT, (long) row * columns + first + j);
                            float actual = band.getAtIndex(JAVA_FLOAT, (long) row * width + j);
                            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                                    "row " + row + ", column " + (first + j) + " of band [" + first + ", " + end + ")");
                        }
                    }
                }
            }
        }
    }
}
