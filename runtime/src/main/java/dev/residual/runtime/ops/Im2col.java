package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The data movement behind {@link Conv2d}: unrolling a run of images into a column matrix, scattering a column
 * matrix back onto images, and the weight rearrangements of the backward.
 *
 * <p>Everything works on a <em>chunk</em>: images {@code [s0, s0 + count)} of a channel-major {@code C×(n·H·W)} map,
 * unrolled into {@code C·K·K} rows of {@code count·Ho·Wo} floats. {@link Conv2d} processes a batch chunk by chunk so
 * that the column matrix stays in cache between being written here and being read by the GEMM. The padding may be
 * negative (a crop), which the input gradient of a stride-1 convolution needs when {@code pad > K − 1}.
 *
 * <p>Speed. On JDK 25 a float loop over memory segments runs scalar at about 1–3 ns a float for short runs, while
 * {@link MemorySegment#copy} is a memmove and a loop over a Java array is several times faster. So contiguous runs
 * are copied in bulk, and the strided gathers and scatters work on one image at a time in a per-thread heap buffer
 * ({@link #buffer}): the image is copied in (or out) in bulk, and only the array is indexed element by element.
 */
final class Im2col {

    private Im2col() {}

    /** Floats in {@link #ZEROS}: large runs of zeros are copied from it in pieces of this size. */
    private static final int ZERO_FLOATS = 4096;

    /** A block of zeros to copy from: a memmove, where {@code asSlice(..).fill(0)} would create a slice per call. */
    private static final MemorySegment ZEROS = Arena.global().allocate((long) ZERO_FLOATS * Float.BYTES, 64)
            .fill((byte) 0);

    /** Runs shorter than this are zeroed by a loop: the bulk copy has a fixed cost of about 10 ns. */
    private static final int SHORT_RUN = 16;

    /**
     * The calling thread's work array, grown on demand and then reused, so a kernel allocates only the first time
     * a thread meets a larger image. Kernels run one at a time on a thread, and none keeps it across calls.
     */
    private static final ThreadLocal<float[]> BUFFER = ThreadLocal.withInitial(() -> new float[0]);

    /** The calling thread's work array, at least {@code floats} long. */
    private static float[] buffer(int floats) {
        float[] buffer = BUFFER.get();
        if (buffer.length < floats) {
            buffer = new float[floats];
            BUFFER.set(buffer);
        }
        return buffer;
    }

    /**
     * Unrolls images {@code [s0, s0 + count)} into the column matrix: row {@code (c·K + ky)·K + kx} of
     * {@code count·Ho·Wo} floats holds, at column {@code i·Ho·Wo + oy·Wo + ox}, input pixel
     * {@code (s0 + i, c, oy·stride − pad + ky, ox·stride − pad + kx)}, or 0 where that lies outside the image.
     *
     * @param in  channel-major {@code C×(n·H·W)} map
     * @param Ho  output rows; with a non-negative {@code pad}, {@link Conv2d#outputSize}
     * @param Wo  output columns
     * @param col {@code C·K·K·count·Ho·Wo} floats, written entirely
     */
    static void unroll(MemorySegment in, long inOff, int C, int H, int W, int n, int s0, int count,
                       int K, int stride, int pad, int Ho, int Wo, MemorySegment col, long colOff) {
        Unroll task = UNROLL.get();
        task.in = in; task.inOff = inOff; task.H = H; task.W = W; task.n = n; task.s0 = s0; task.count = count;
        task.K = K; task.stride = stride; task.pad = pad; task.Ho = Ho; task.Wo = Wo; task.col = col;
        task.colOff = colOff;
        task.runOverChannels(C, (long) K * K * count * Ho * Wo);
    }

    private static final ThreadLocal<Unroll> UNROLL = ThreadLocal.withInitial(Unroll::new);

    /** {@link #unroll}'s arguments and its work on a range of channels, whose rows of the column matrix it writes. */
    private static final class Unroll extends ChannelRange {
        MemorySegment in, col;
        long inOff, colOff;
        int H, W, n, s0, count, K, stride, pad, Ho, Wo;

        @Override
        void run(int from, int to) {
            long hw = (long) H * W;
            long outPixels = (long) Ho * Wo;
            long rowLength = count * outPixels;
            // With stride 1 and an output as large as the input, a tap is a plain shift of the whole chunk.
            boolean shift = shifts(H, W, stride, Ho, Wo);
            float[] buffer = shift ? null : buffer((int) (hw + outPixels));
            for (int c = from; c < to; c++) {
                long images = inOff + c * n * hw + s0 * hw;
                long rows = colOff + (long) c * K * K * rowLength;
                if (shift) {
                    for (int ky = 0; ky < K; ky++) {
                        for (int kx = 0; kx < K; kx++) {
                            shiftedTap(in, images, H, W, count, ky - pad, kx - pad, col,
                                    rows + (long) (ky * K + kx) * rowLength);
                        }
                    }
                } else {
                    for (int i = 0; i < count; i++) {
                        gatherTaps(in, images + i * hw, H, W, K, stride, pad, Ho, Wo, buffer, col,
                                rows + i * outPixels, rowLength);
                    }
                }
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, in, col, null, null);
        }

        @Override
        void clear() {
            in = col = null;
        }
    }

    /**
     * One tap of a stride-1, same-size unrolling: output pixel {@code j = oy·W + ox} of every image takes input
     * pixel {@code j + dy·W + dx}. Over the chunk's consecutive images that is one contiguous copy; what it brings
     * in from across an image's edge (a neighbouring line, image or channel) is then overwritten with the zeros of
     * the padding: {@code |dy|} whole lines at the top or bottom of each image, {@code |dx|} pixels at one end of
     * each line.
     */
    private static void shiftedTap(MemorySegment in, long images, int H, int W, int count, int dy, int dx,
                                   MemorySegment col, long row) {
        long total = (long) count * H * W;
        long shift = (long) dy * W + dx;
        // Clip the copy to the chunk's own pixels; the clipped ends are padding, zeroed below.
        long from = Math.max(0, -shift), to = total - Math.max(0, shift);
        if (to > from) {
            MemorySegment.copy(in, JAVA_FLOAT, (images + from + shift) * Float.BYTES, col, JAVA_FLOAT,
                    (row + from) * Float.BYTES, to - from);
        }
        int padRows = Math.min(H, Math.abs(dy));
        int padColumns = Math.min(W, Math.abs(dx));
        int firstRow = dy < 0 ? padRows : 0;
        int endRow = dy < 0 ? H : H - padRows;
        int edge = dx < 0 ? 0 : W - padColumns;
        long image = row;
        for (int i = 0; i < count; i++, image += (long) H * W) {
            zero(col, image + (dy < 0 ? 0 : (long) endRow * W), (long) padRows * W);
            if (padColumns == 0) {
                continue;
            }
            long end = image + (long) endRow * W + edge;
            for (long at = image + (long) firstRow * W + edge; at < end; at += W) {
                for (int x = 0; x < padColumns; x++) {
                    col.setAtIndex(JAVA_FLOAT, at + x, 0f);
                }
            }
        }
    }

    /**
     * {@link #shiftedTap} for chunk columns {@code [first, end)} only, for a band ({@link #unrollBand}), in the work
     * array: output pixel {@code j = oy·W + ox} of the chunk's images ({@code images}, {@code total} floats from index
     * 0) takes input pixel {@code j + dy·W + dx}, written at {@code dst + j − first}. One contiguous copy, then the
     * zeros of the padding over what it brought in from across an image's edge: the lines whose source line lies
     * outside the image, and {@code |dx|} pixels at one end of every other line. Line by line, since a band may start
     * and end inside lines.
     */
    private static void shiftedTapBand(float[] work, int total, int H, int W, int dy, int dx, int dst, int first,
                                       int end) {
        int shift = dy * W + dx;
        // Clip the copy to the chunk's own pixels; what is clipped is padding.
        int from = Math.max(first, -shift), to = Math.min(end, total - shift);
        if (to > from) {
            System.arraycopy(work, from + shift, work, dst + from - first, to - from);
        }
        int padColumns = Math.min(W, Math.abs(dx));
        int edge = dx < 0 ? 0 : W - padColumns;
        int oy = (first / W) % H; // the output line within its image
        for (int lineStart = first / W * W; lineStart < end; lineStart += W, oy = oy + 1 == H ? 0 : oy + 1) {
            int a = Math.max(lineStart, first), b = Math.min(lineStart + W, end);
            int y = oy + dy; // its source line
            if (y < 0 || y >= H || to <= from) {
                Arrays.fill(work, dst + a - first, dst + b - first, 0f);
            } else if (padColumns > 0) {
                int zeroFrom = Math.max(a, lineStart + edge), zeroTo = Math.min(b, lineStart + edge + padColumns);
                for (int at = zeroFrom; at < zeroTo; at++) {
                    work[dst + at - first] = 0f;
                }
            }
        }
    }

    /**
     * Whether {@link #unroll} is a plain shift of the chunk for every tap (stride 1, output as large as the input),
     * and so can write any band of columns on its own ({@link #unrollBand}).
     */
    static boolean shifts(int H, int W, int stride, int Ho, int Wo) {
        return stride == 1 && Ho == H && Wo == W;
    }

    /**
     * Columns {@code [first, end)} of {@link #unroll}'s column matrix, when {@link #shifts}: row
     * {@code (c·K + ky)·K + kx} of the band, {@code end − first} floats, at {@code colOff + row·(end − first)}. Runs
     * on the calling thread: a band is a thread's share of a small product. Each channel's images are copied into the
     * thread's work array once and each row is built there, then copied out in bulk (see the class comment).
     */
    static void unrollBand(MemorySegment in, long inOff, int C, int H, int W, int n, int s0, int count, int K,
                           int pad, int first, int end, MemorySegment col, long colOff) {
        long hw = (long) H * W;
        int total = Math.toIntExact(count * hw);
        int band = end - first;
        float[] work = buffer(total + band);
        for (int c = 0; c < C; c++) {
            MemorySegment.copy(in, JAVA_FLOAT, (inOff + c * n * hw + s0 * hw) * Float.BYTES, work, 0, total);
            for (int ky = 0; ky < K; ky++) {
                for (int kx = 0; kx < K; kx++) {
                    shiftedTapBand(work, total, H, W, ky - pad, kx - pad, total, first, end);
                    long row = colOff + ((long) (c * K + ky) * K + kx) * band;
                    MemorySegment.copy(work, total, col, JAVA_FLOAT, row * Float.BYTES, band);
                }
            }
        }
    }

    /**
     * All {@code K·K} taps of one image in the general case (a stride, or an output not the input's size): the image
     * is copied into the work array once; for each tap, output line {@code oy} reads image line
     * {@code oy·stride − pad + ky} at columns {@code ox·stride − pad + kx}, gathered into the array's second part and
     * copied to that tap's row of the column matrix.
     *
     * @param buffer {@code H·W + Ho·Wo} floats
     */
    private static void gatherTaps(MemorySegment in, long image, int H, int W, int K, int stride, int pad,
                                   int Ho, int Wo, float[] buffer, MemorySegment col, long dst, long rowLength) {
        int hw = H * W;
        MemorySegment.copy(in, JAVA_FLOAT, image * Float.BYTES, buffer, 0, hw);
        for (int ky = 0; ky < K; ky++) {
            int dy = ky - pad;
            int oyLo = Math.min(Ho, firstInside(dy, stride));
            int oyHi = Math.max(oyLo, Math.min(Ho, endInside(dy, stride, H)));
            for (int kx = 0; kx < K; kx++) {
                int dx = kx - pad;
                int oxLo = Math.min(Wo, firstInside(dx, stride));
                int oxHi = Math.max(oxLo, Math.min(Wo, endInside(dx, stride, W)));
                // Lines and columns outside [lo, hi) fall in the padding. The runs of zeros are short (about
                // pad floats), so they are plain stores: Arrays.fill's call costs more than it saves here.
                int out = hw;
                for (int oy = 0; oy < Ho; oy++, out += Wo) {
                    if (oy < oyLo || oy >= oyHi) {
                        for (int ox = 0; ox < Wo; ox++) {
                            buffer[out + ox] = 0f;
                        }
                        continue;
                    }
                    int src = (oy * stride + dy) * W + dx;
                    for (int ox = 0; ox < oxLo; ox++) {
                        buffer[out + ox] = 0f;
                    }
                    for (int ox = oxLo; ox < oxHi; ox++) {
                        buffer[out + ox] = buffer[src + ox * stride];
                    }
                    for (int ox = oxHi; ox < Wo; ox++) {
                        buffer[out + ox] = 0f;
                    }
                }
                MemorySegment.copy(buffer, hw, col, JAVA_FLOAT, (dst + (ky * K + kx) * rowLength) * Float.BYTES,
                        Ho * Wo);
            }
        }
    }

    /**
     * The adjoint of {@link #unroll} (with {@code pad ≥ 0}): adds every entry of the chunk's column matrix onto the
     * input pixel it was copied from, dropping the padding. Works image by image in the work array: the image
     * (zeros, or with {@code accumulate} what {@code out} holds) receives its {@code K·K} taps, each copied in first,
     * and is copied back once, so every element of {@code out} is written once.
     *
     * @param col        {@code C·K·K} rows of {@code count·Ho·Wo} floats
     * @param out        channel-major {@code C×(n·H·W)} map; images {@code [s0, s0 + count)} are written
     * @param accumulate {@code false} overwrites those images, {@code true} adds onto them
     */
    static void scatter(MemorySegment col, long colOff, int C, int H, int W, int n, int s0, int count,
                        int K, int stride, int pad, MemorySegment out, long outOff, boolean accumulate) {
        Scatter task = SCATTER.get();
        task.col = col; task.colOff = colOff; task.H = H; task.W = W; task.n = n; task.s0 = s0; task.count = count;
        task.K = K; task.stride = stride; task.pad = pad; task.out = out; task.outOff = outOff;
        task.accumulate = accumulate;
        task.runOverChannels(C, (long) K * K * count * H * W);
    }

    private static final ThreadLocal<Scatter> SCATTER = ThreadLocal.withInitial(Scatter::new);

    /** {@link #scatter}'s arguments and its work on a range of channels, whose images it writes. */
    private static final class Scatter extends ChannelRange {
        MemorySegment col, out;
        long colOff, outOff;
        int H, W, n, s0, count, K, stride, pad;
        boolean accumulate;

        @Override
        void run(int from, int to) {
            int Ho = Conv2d.outputSize(H, K, stride, pad);
            int Wo = Conv2d.outputSize(W, K, stride, pad);
            int hw = H * W;
            int outPixels = Ho * Wo;
            long rowLength = (long) count * outPixels;
            float[] buffer = buffer(hw + outPixels);
            for (int c = from; c < to; c++) {
                for (int i = 0; i < count; i++) {
                    long image = outOff + (long) c * n * hw + (long) (s0 + i) * hw;
                    // With stride 1 the first tap is stored rather than added, and only the pixels it misses
                    // are zeroed: no separate pass zeroing the whole image.
                    boolean storeFirst = !accumulate && stride == 1;
                    if (accumulate) {
                        MemorySegment.copy(out, JAVA_FLOAT, image * Float.BYTES, buffer, 0, hw);
                    } else if (!storeFirst) {
                        Arrays.fill(buffer, 0, hw, 0f);
                    }
                    for (int ky = 0; ky < K; ky++) {
                        for (int kx = 0; kx < K; kx++) {
                            long src = colOff + ((long) (c * K + ky) * K + kx) * rowLength + (long) i * outPixels;
                            MemorySegment.copy(col, JAVA_FLOAT, src * Float.BYTES, buffer, hw, outPixels);
                            if (stride != 1) {
                                addTap(buffer, H, W, ky - pad, kx - pad, stride, Ho, Wo);
                            } else {
                                addUnitStrideTap(buffer, H, W, ky - pad, kx - pad, Ho, Wo,
                                        storeFirst && ky == 0 && kx == 0);
                            }
                        }
                    }
                    MemorySegment.copy(buffer, 0, out, JAVA_FLOAT, image * Float.BYTES, hw);
                }
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, col, out, null, null);
        }

        @Override
        void clear() {
            col = out = null;
        }
    }

    /** Adds one tap's {@code Ho·Wo} entries (at {@code H·W} in the buffer) onto the image pixels they came from. */
    private static void addTap(float[] buffer, int H, int W, int dy, int dx, int stride, int Ho, int Wo) {
        int oyLo = Math.min(Ho, firstInside(dy, stride));
        int oyHi = Math.max(oyLo, Math.min(Ho, endInside(dy, stride, H)));
        int oxLo = Math.min(Wo, firstInside(dx, stride));
        int oxHi = Math.max(oxLo, Math.min(Wo, endInside(dx, stride, W)));
        int taps = H * W;
        for (int oy = oyLo; oy < oyHi; oy++) {
            int line = taps + oy * Wo;
            int dst = (oy * stride + dy) * W + dx;
            for (int ox = oxLo; ox < oxHi; ox++) {
                buffer[dst + ox * stride] += buffer[line + ox];
            }
        }
    }

    /**
     * {@link #addTap} for stride 1, where a line of the tap is a contiguous run of the image line (a loop the JIT
     * vectorizes). With {@code store} the tap is the image's first: its entries are stored as {@code 0 + t} (the sum
     * the zeroed image would get, so a −0 still becomes +0) and the pixels it does not reach are set to 0.
     */
    private static void addUnitStrideTap(float[] buffer, int H, int W, int dy, int dx, int Ho, int Wo,
                                         boolean store) {
        int oyLo = Math.min(Ho, firstInside(dy, 1));
        int oyHi = Math.max(oyLo, Math.min(Ho, endInside(dy, 1, H)));
        int oxLo = Math.min(Wo, firstInside(dx, 1));
        int oxHi = Math.max(oxLo, Math.min(Wo, endInside(dx, 1, W)));
        int taps = H * W;
        if (!store) {
            for (int oy = oyLo; oy < oyHi; oy++) {
                int line = taps + oy * Wo + oxLo;
                int dst = (oy + dy) * W + dx + oxLo;
                for (int x = 0, run = oxHi - oxLo; x < run; x++) {
                    buffer[dst + x] += buffer[line + x];
                }
            }
            return;
        }
        // Image lines [yLo, yHi) and columns [xLo, xHi) receive the tap; everything else starts at 0.
        int yLo = oyLo + dy, yHi = oyHi + dy, xLo = oxLo + dx, xHi = oxHi + dx;
        if (yHi <= yLo || xHi <= xLo) {
            Arrays.fill(buffer, 0, taps, 0f);
            return;
        }
        Arrays.fill(buffer, 0, yLo * W, 0f);
        Arrays.fill(buffer, yHi * W, taps, 0f);
        for (int y = yLo; y < yHi; y++) {
            int dst = y * W;
            for (int x = 0; x < xLo; x++) {
                buffer[dst + x] = 0f;
            }
            int line = taps + (y - dy) * Wo + (xLo - dx);
            for (int x = xLo; x < xHi; x++) {
                buffer[dst + x] = 0f + buffer[line + x - xLo];
            }
            for (int x = xHi; x < W; x++) {
                buffer[dst + x] = 0f;
            }
        }
    }

    /**
     * The weights of the transposed convolution: {@code rotated[c, f, ky, kx] = weight[f, c, K−1−ky, K−1−kx]}, the
     * row-major {@code C×(F·K·K)} matrix that multiplies the unrolled output gradient. Reversing the flattened
     * {@code K·K} taps rotates the kernel by 180°.
     */
    static void rotate(MemorySegment weight, long wOff, int F, int C, int K, MemorySegment rotated, long rOff) {
        int taps = K * K;
        for (int c = 0; c < C; c++) {
            for (int f = 0; f < F; f++) {
                long from = wOff + (long) (f * C + c) * taps + taps - 1;
                long to = rOff + (long) (c * F + f) * taps;
                for (int t = 0; t < taps; t++) {
                    rotated.setAtIndex(JAVA_FLOAT, to + t, weight.getAtIndex(JAVA_FLOAT, from - t));
                }
            }
        }
    }

    /** Writes the transpose of the row-major {@code rows×columns} matrix {@code from} into {@code to}. */
    static void transpose(MemorySegment from, long fromOff, int rows, int columns, MemorySegment to, long toOff) {
        for (int c = 0; c < columns; c++) {
            for (int r = 0; r < rows; r++) {
                to.setAtIndex(JAVA_FLOAT, toOff + (long) c * rows + r,
                        from.getAtIndex(JAVA_FLOAT, fromOff + (long) r * columns + c));
            }
        }
    }

    /** The first output index {@code o ≥ 0} with {@code o·stride + shift ≥ 0}. */
    static int firstInside(int shift, int stride) {
        return shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    }

    /** One past the last output index with {@code o·stride + shift < size}; may be ≤ 0 when none is. */
    static int endInside(int shift, int stride, int size) {
        return Math.floorDiv(size - 1 - shift, stride) + 1;
    }

    /** Sets {@code count} floats to 0. */
    static void zero(MemorySegment segment, long offset, long count) {
        if (count < SHORT_RUN) {
            for (int i = 0; i < count; i++) {
                segment.setAtIndex(JAVA_FLOAT, offset + i, 0f);
            }
            return;
        }
        while (count > 0) {
            int run = (int) Math.min(count, ZERO_FLOATS);
            MemorySegment.copy(ZEROS, 0, segment, offset * Float.BYTES, (long) run * Float.BYTES);
            offset += run;
            count -= run;
        }
    }
}
