package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The stride-1 scatter stores its first tap instead of adding it onto zeros; the sums must not change a bit. */
class Im2colScatterTest {

    @Test
    void negativeZeroTapsScatterToPositiveZeroAsOntoAZeroedImage() {
        int C = 2, H = 5, W = 4, K = 3;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment col = arena.allocate((long) C * K * K * H * W * Float.BYTES);
            for (long i = 0; i < col.byteSize() / Float.BYTES; i++) {
                col.setAtIndex(JAVA_FLOAT, i, -0f);
            }
            MemorySegment out = arena.allocate((long) C * H * W * Float.BYTES);
            for (long i = 0; i < C * H * W; i++) {
                out.setAtIndex(JAVA_FLOAT, i, 7f);
            }
            Im2col.scatter(col, 0, C, H, W, 1, 0, 1, K, 1, 1, out, 0, false);
            for (long i = 0; i < C * H * W; i++) {
                assertEquals(0, Float.floatToRawIntBits(out.getAtIndex(JAVA_FLOAT, i)), "pixel " + i);
            }
        }
    }

    @Test
    void stride1ScatterAddsTheTapsInOrderOntoZero() {
        int C = 1, H = 4, W = 6, K = 3, pad = 1, hw = H * W;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment col = arena.allocate((long) K * K * hw * Float.BYTES);
            float[] taps = new float[K * K * hw];
            for (int i = 0; i < taps.length; i++) {
                taps[i] = (float) Math.sin(i * 0.7) * (1 + i % 5) * 1e-3f;
                col.setAtIndex(JAVA_FLOAT, i, taps[i]);
            }
            float[] expected = new float[hw];
            for (int t = 0; t < K * K; t++) {
                int dy = t / K - pad, dx = t % K - pad;
                for (int oy = 0; oy < H; oy++) {
                    for (int ox = 0; ox < W; ox++) {
                        int y = oy + dy, x = ox + dx;
                        if (y >= 0 && y < H && x >= 0 && x < W) {
                            expected[y * W + x] += taps[t * hw + oy * W + ox];
                        }
                    }
                }
            }
            MemorySegment out = arena.allocate((long) hw * Float.BYTES);
            Im2col.scatter(col, 0, C, H, W, 1, 0, 1, K, 1, pad, out, 0, false);
            for (int i = 0; i < hw; i++) {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(out.getAtIndex(JAVA_FLOAT, i)),
                        "pixel " + i);
            }
        }
    }
}
