package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.Fixtures.MAX_N;
import static dev.residual.runtime.ops.Fixtures.empty;
import static dev.residual.runtime.ops.Fixtures.place;
import static dev.residual.runtime.ops.Fixtures.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.residual.runtime.ops.Fixtures.Buf;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Layout changes against the index formulas they promise. */
class LayoutTest {

    @ParameterizedTest(name = "C{0} {1}×{2} n{3}")
    @CsvSource({"3,9,7,1", "3,9,7,3", "1,28,28,3", "10,1,1,3", "4,2,3,1"})
    void nchwToChannelMajorAndBack(int C, int H, int W, int n) {
        int hw = H * W, count = n * C * hw;
        float[] x = uniform(new SplittableRandom(count), count, -1, 1);
        try (Arena arena = Arena.ofConfined()) {
            Buf nchw = place(arena, x, (long) MAX_N * C * hw);
            Buf cm = empty(arena, (long) MAX_N * C * hw);
            Buf back = empty(arena, (long) MAX_N * C * hw);
            Layout.nchwToChannelMajor(nchw.seg(), nchw.off(), C, H, W, n, cm.seg(), cm.off());
            Layout.channelMajorToNchw(cm.seg(), cm.off(), C, H, W, n, back.seg(), back.off());
            float[] expected = new float[count];
            for (int s = 0; s < n; s++) {
                for (int c = 0; c < C; c++) {
                    for (int y = 0; y < H; y++) {
                        for (int xx = 0; xx < W; xx++) {
                            expected[c * n * hw + s * hw + y * W + xx] = x[((s * C + c) * H + y) * W + xx];
                        }
                    }
                }
            }
            assertArrayEquals(expected, cm.read(count));
            assertArrayEquals(x, back.read(count));
            cm.assertUntouchedBeyond(count, "channel-major");
            back.assertUntouchedBeyond(count, "NCHW");
        }
    }

    @ParameterizedTest(name = "C{0} {1}×{2} n{3}")
    @CsvSource({"3,9,7,1", "3,9,7,3", "16,1,1,3", "2,3,3,3"})
    void flattenFollowsPyTorchOrderAndUnflattenInvertsIt(int C, int H, int W, int n) {
        int hw = H * W, count = n * C * hw, features = C * hw;
        float[] x = uniform(new SplittableRandom(count + 1), count, -1, 1); // NCHW
        float[] cmValues = Fixtures.toChannelMajor(x, n, C, hw);
        try (Arena arena = Arena.ofConfined()) {
            Buf cm = place(arena, cmValues, (long) MAX_N * C * hw);
            Buf flat = empty(arena, (long) MAX_N * features);
            Buf back = empty(arena, (long) MAX_N * C * hw);
            Layout.flatten(cm.seg(), cm.off(), C, H, W, n, flat.seg(), flat.off());
            Layout.unflatten(flat.seg(), flat.off(), C, H, W, n, back.seg(), back.off());
            // PyTorch's x.flatten(1)[s, f] is x[s] read in NCHW order: f = c·H·W + y·W + x.
            float[] expected = new float[count];
            for (int s = 0; s < n; s++) {
                for (int f = 0; f < features; f++) {
                    expected[f * n + s] = x[s * features + f];
                }
            }
            assertArrayEquals(expected, flat.read(count));
            assertArrayEquals(cmValues, back.read(count));
            flat.assertUntouchedBeyond(count, "flattened");
            back.assertUntouchedBeyond(count, "unflattened");
        }
    }
}
