package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The three transforms of {@link Winograd3x3}'s F(2×2, 3×3): of the kernels ({@code U = G g Gᵀ}), of the input tiles
 * ({@code V = Bᵀ d B}) and of the products back to output tiles ({@code Y = Aᵀ M A}), with
 * <pre>
 *      ⎡1  0  0⎤         ⎡1  0 −1  0⎤         ⎡1  1  1  0⎤
 *  G = ⎢½  ½  ½⎥    Bᵀ = ⎢0  1  1  0⎥    Aᵀ = ⎣0  1 −1 −1⎦
 *      ⎢½ −½  ½⎥         ⎢0 −1  1  0⎥
 *      ⎣0  0  1⎦         ⎣0  1  0 −1⎦
 * </pre>
 * Index {@code ξ = 4·row + column} numbers the 16 entries of a transformed 4×4 tile.
 *
 * <p>Like {@link Im2col}, the strided work happens in per-thread heap arrays that are filled from and emptied into the
 * memory segments with bulk copies; the input and output transforms are split over channels on {@link Workers}.
 */
final class WinogradTransforms {

    private WinogradTransforms() {}

    /** A thread's work arrays, grown on demand and reused, so that a kernel allocates only on its first calls. */
    private static final class Work {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] c = new float[0];

        float[] a(int floats) {
            return a.length >= floats ? a : (a = new float[floats]);
        }

        float[] b(int floats) {
            return b.length >= floats ? b : (b = new float[floats]);
        }

        float[] c(int floats) {
            return c.length >= floats ? c : (c = new float[floats]);
        }
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    /**
     * Writes the 16 transformed {@code outC × inC} weight matrices at {@code u}: {@code U[ξ][o][i] = (G g Gᵀ)[ξ]}
     * where {@code g} is {@code weight[o, i]} ({@code weight} is {@code outC×inC×3×3}), or with {@code flipped}
     * {@code weight[i, o]} rotated by 180° ({@code weight} is {@code inC×outC×3×3}).
     */
    static void weights(MemorySegment weight, long wOff, int inC, int outC, boolean flipped,
                        MemorySegment scratch, long u) {
        Work work = WORK.get();
        int pairs = inC * outC;
        float[] g = work.a(9 * pairs);
        float[] t = work.b(16 * pairs);
        MemorySegment.copy(weight, JAVA_FLOAT, wOff * Float.BYTES, g, 0, 9 * pairs);
        for (int o = 0; o < outC; o++) {
            for (int i = 0; i < inC; i++) {
                int k = 9 * (flipped ? i * outC + o : o * inC + i);
                // A kernel rotated by 180° is its 9 taps read backwards.
                float g0, g1, g2, g3, g4, g5, g6, g7, g8;
                if (flipped) {
                    g0 = g[k + 8]; g1 = g[k + 7]; g2 = g[k + 6]; g3 = g[k + 5]; g4 = g[k + 4];
                    g5 = g[k + 3]; g6 = g[k + 2]; g7 = g[k + 1]; g8 = g[k];
                } else {
                    g0 = g[k]; g1 = g[k + 1]; g2 = g[k + 2]; g3 = g[k + 3]; g4 = g[k + 4];
                    g5 = g[k + 5]; g6 = g[k + 6]; g7 = g[k + 7]; g8 = g[k + 8];
                }
                // G g: 4 rows of 3 (rows of g combined), then (G g) Gᵀ: each row's 3 taps to 4.
                float r10 = 0.5f * (g0 + g3 + g6), r11 = 0.5f * (g1 + g4 + g7), r12 = 0.5f * (g2 + g5 + g8);
                float r20 = 0.5f * (g0 - g3 + g6), r21 = 0.5f * (g1 - g4 + g7), r22 = 0.5f * (g2 - g5 + g8);
                int at = o * inC + i;
                row(t, at, pairs, 0, g0, g1, g2);
                row(t, at, pairs, 4, r10, r11, r12);
                row(t, at, pairs, 8, r20, r21, r22);
                row(t, at, pairs, 12, g6, g7, g8);
            }
        }
        MemorySegment.copy(t, 0, scratch, JAVA_FLOAT, u * Float.BYTES, 16 * pairs);
    }

    /** One row of a transformed kernel: entries {@code ξ0 .. ξ0+3} of pair {@code at} from the row {@code a b c}. */
    private static void row(float[] t, int at, int pairs, int xi0, float a, float b, float c) {
        t[xi0 * pairs + at] = a;
        t[(xi0 + 1) * pairs + at] = 0.5f * (a + b + c);
        t[(xi0 + 2) * pairs + at] = 0.5f * (a - b + c);
        t[(xi0 + 3) * pairs + at] = c;
    }

    /**
     * Transforms images {@code [s0, s0 + count)} of the channel-major {@code C×(n·H·W)} map {@code in} into
     * {@code V} at {@code v}: 16 matrices of {@code C} rows of {@code T = count·tiles} floats.
     */
    static void input(MemorySegment in, long inOff, int C, int H, int W, int n, int s0, int count,
                      MemorySegment scratch, long v) {
        Input task = INPUT.get();
        task.in = in; task.inOff = inOff; task.C = C; task.H = H; task.W = W; task.n = n; task.s0 = s0;
        task.count = count; task.v = scratch; task.vOff = v;
        task.runOverChannels(C, 5L * count * H * W);
    }

    private static final ThreadLocal<Input> INPUT = ThreadLocal.withInitial(Input::new);

    /** {@link #input}'s arguments and its work on a range of channels, whose rows of {@code V} it writes. */
    private static final class Input extends ChannelRange {
        MemorySegment in, v;
        long inOff, vOff;
        int C, H, W, n, s0, count;

        @Override
        void run(int from, int to) {
            int th = Winograd3x3.tiles(H), tw = Winograd3x3.tiles(W);
            int pw = 2 * tw + 2, ph = 2 * th + 2;
            int hw = H * W, perImage = th * tw, T = count * perImage;
            Work work = WORK.get();
            float[] image = work.a(hw);
            float[] padded = work.b(ph * pw);
            float[] rows = work.c(16 * perImage);
            // Only the interior is ever written below, so the zero border stays for every image.
            Arrays.fill(padded, 0, ph * pw, 0f);
            for (int c = from; c < to; c++) {
                for (int i = 0; i < count; i++) {
                    MemorySegment.copy(in, JAVA_FLOAT, (inOff + (long) c * n * hw + (long) (s0 + i) * hw) * Float.BYTES,
                            image, 0, hw);
                    for (int y = 0; y < H; y++) {
                        System.arraycopy(image, y * W, padded, (y + 1) * pw + 1, W);
                    }
                    // One image's 16 rows stay in the first-level cache; then each goes to its place in V.
                    tiles(padded, pw, th, tw, rows, perImage, 0);
                    for (int xi = 0; xi < 16; xi++) {
                        MemorySegment.copy(rows, xi * perImage, v, JAVA_FLOAT,
                                (vOff + ((long) xi * C + c) * T + (long) i * perImage) * Float.BYTES, perImage);
                    }
                }
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, in, v, null, null);
        }

        @Override
        void clear() {
            in = v = null;
        }
    }

    /**
     * {@code V = Bᵀ d B} of every tile of one zero-padded image: tile {@code (ty, tx)} reads the 4×4 window at padded
     * row {@code 2·ty}, column {@code 2·tx}, and entry {@code ξ} goes to {@code rows[ξ·T + first + ty·tw + tx]}.
     */
    private static void tiles(float[] p, int pw, int th, int tw, float[] rows, int T, int first) {
        for (int ty = 0; ty < th; ty++) {
            int t = first + ty * tw;
            for (int tx = 0; tx < tw; tx++, t++) {
                int r0 = 2 * ty * pw + 2 * tx, r1 = r0 + pw, r2 = r1 + pw, r3 = r2 + pw;
                // Bᵀ d: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3, column by column.
                float a0 = p[r0] - p[r2], a1 = p[r0 + 1] - p[r2 + 1], a2 = p[r0 + 2] - p[r2 + 2], a3 = p[r0 + 3] - p[r2 + 3];
                float b0 = p[r1] + p[r2], b1 = p[r1 + 1] + p[r2 + 1], b2 = p[r1 + 2] + p[r2 + 2], b3 = p[r1 + 3] + p[r2 + 3];
                float c0 = p[r2] - p[r1], c1 = p[r2 + 1] - p[r1 + 1], c2 = p[r2 + 2] - p[r1 + 2], c3 = p[r2 + 3] - p[r1 + 3];
                float d0 = p[r1] - p[r3], d1 = p[r1 + 1] - p[r3 + 1], d2 = p[r1 + 2] - p[r3 + 2], d3 = p[r1 + 3] - p[r3 + 3];
                // (Bᵀ d) B: the same combination along each row.
                rows[t] = a0 - a2; rows[T + t] = a1 + a2; rows[2 * T + t] = a2 - a1; rows[3 * T + t] = a1 - a3;
                rows[4 * T + t] = b0 - b2; rows[5 * T + t] = b1 + b2; rows[6 * T + t] = b2 - b1; rows[7 * T + t] = b1 - b3;
                rows[8 * T + t] = c0 - c2; rows[9 * T + t] = c1 + c2; rows[10 * T + t] = c2 - c1; rows[11 * T + t] = c1 - c3;
                rows[12 * T + t] = d0 - d2; rows[13 * T + t] = d1 + d2; rows[14 * T + t] = d2 - d1; rows[15 * T + t] = d1 - d3;
            }
        }
    }

    /**
     * Transforms {@code M} at {@code m} (16 matrices of {@code C} rows of {@code T = count·tiles} floats) back into
     * images {@code [s0, s0 + count)} of the channel-major {@code C×(n·H·W)} map {@code out}, overwriting them or,
     * with {@code accumulate}, adding onto them.
     */
    static void output(MemorySegment scratch, long m, int C, int H, int W, int n, int s0, int count,
                       boolean accumulate, MemorySegment out, long outOff) {
        Output task = OUTPUT.get();
        task.m = scratch; task.mOff = m; task.C = C; task.H = H; task.W = W; task.n = n; task.s0 = s0;
        task.count = count; task.accumulate = accumulate; task.out = out; task.outOff = outOff;
        task.runOverChannels(C, 5L * count * H * W);
    }

    private static final ThreadLocal<Output> OUTPUT = ThreadLocal.withInitial(Output::new);

    /** {@link #output}'s arguments and its work on a range of channels, whose images it writes. */
    private static final class Output extends ChannelRange {
        MemorySegment m, out;
        long mOff, outOff;
        int C, H, W, n, s0, count;
        boolean accumulate;

        @Override
        void run(int from, int to) {
            int th = Winograd3x3.tiles(H), tw = Winograd3x3.tiles(W);
            int ew = 2 * tw;
            int hw = H * W, perImage = th * tw, T = count * perImage;
            Work work = WORK.get();
            float[] image = work.a(hw);
            float[] even = work.b(4 * perImage);
            float[] rows = work.c(16 * perImage);
            boolean exact = 2 * th == H && ew == W;
            for (int c = from; c < to; c++) {
                for (int i = 0; i < count; i++) {
                    long at = (outOff + (long) c * n * hw + (long) (s0 + i) * hw) * Float.BYTES;
                    // One image's 16 rows of M, gathered into the first-level cache.
                    for (int xi = 0; xi < 16; xi++) {
                        MemorySegment.copy(m, JAVA_FLOAT, (mOff + ((long) xi * C + c) * T + (long) i * perImage)
                                * Float.BYTES, rows, xi * perImage, perImage);
                    }
                    float[] target = exact ? image : even;
                    untile(rows, perImage, 0, th, tw, target);
                    if (!exact) {
                        for (int y = 0; y < H; y++) {
                            System.arraycopy(even, y * ew, image, y * W, W);
                        }
                    }
                    if (accumulate) {
                        // even (2·th·2·tw ≥ H·W floats) is free again: it holds what out has now.
                        MemorySegment.copy(out, JAVA_FLOAT, at, even, 0, hw);
                        for (int j = 0; j < hw; j++) {
                            image[j] += even[j];
                        }
                    }
                    MemorySegment.copy(image, 0, out, JAVA_FLOAT, at, hw);
                }
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, m, out, null, null);
        }

        @Override
        void clear() {
            m = out = null;
        }
    }

    /**
     * {@code Y = Aᵀ M A} of every tile of one image: tile {@code t = first + ty·tw + tx} reads entry {@code ξ} at
     * {@code rows[ξ·T + t]} and writes its 2×2 pixels at row {@code 2·ty}, column {@code 2·tx} of {@code image}, a
     * {@code 2·th × 2·tw} array.
     */
    private static void untile(float[] r, int T, int first, int th, int tw, float[] image) {
        int ew = 2 * tw;
        for (int ty = 0; ty < th; ty++) {
            int t = first + ty * tw;
            for (int tx = 0; tx < tw; tx++, t++) {
                // Aᵀ M: row 0 = m0 + m1 + m2, row 1 = m1 − m2 − m3, column by column.
                float m10 = r[4 * T + t], m11 = r[5 * T + t], m12 = r[6 * T + t], m13 = r[7 * T + t];
                float m20 = r[8 * T + t], m21 = r[9 * T + t], m22 = r[10 * T + t], m23 = r[11 * T + t];
                float a0 = r[t] + m10 + m20, a1 = r[T + t] + m11 + m21;
                float a2 = r[2 * T + t] + m12 + m22, a3 = r[3 * T + t] + m13 + m23;
                float b0 = m10 - m20 - r[12 * T + t], b1 = m11 - m21 - r[13 * T + t];
                float b2 = m12 - m22 - r[14 * T + t], b3 = m13 - m23 - r[15 * T + t];
                // (Aᵀ M) A: the same along each row.
                int at = 2 * ty * ew + 2 * tx;
                image[at] = a0 + a1 + a2;
                image[at + 1] = a1 - a2 - a3;
                image[at + ew] = b0 + b1 + b2;
                image[at + ew + 1] = b1 - b2 - b3;
            }
        }
    }
}
