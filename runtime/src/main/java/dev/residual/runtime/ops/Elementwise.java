package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Fused element-wise epilogues for the places where no normalization follows a layer: a residual add with an
 * optional ReLU, and a per-channel bias with an optional residual and ReLU. Fusing them means one pass over the
 * activations instead of two or three.
 *
 * <p>All tensors are channel-major {@code C×(n·hw)} ({@code hw = H·W}, 1 for vectors). The output may be any of the
 * inputs (in place).
 */
public final class Elementwise {

    private Elementwise() {}

    /**
     * {@code out = a + b}, then ReLU when {@code relu} is set.
     *
     * @param a    {@code C·n·hw} floats
     * @param b    {@code C·n·hw} floats, same layout (e.g. the residual branch)
     * @param C    channels (features for vectors)
     * @param hw   {@code H·W}, 1 for vectors
     * @param n    samples in this batch
     * @param relu whether to clamp negative sums to 0
     * @param out  {@code C·n·hw} floats; may be {@code a} or {@code b}
     */
    public static void addRelu(MemorySegment a, long aOff, MemorySegment b, long bOff, int C, int hw, int n,
                               boolean relu, MemorySegment out, long outOff) {
        AddRelu task = ADD_RELU.get();
        task.a = a; task.aOff = aOff; task.b = b; task.bOff = bOff; task.length = n * hw;
        task.relu = relu; task.out = out; task.outOff = outOff;
        task.runOverChannels(C, 3L * n * hw);
    }

    private static final ThreadLocal<AddRelu> ADD_RELU = ThreadLocal.withInitial(AddRelu::new);

    /** {@link #addRelu}'s arguments and its work on a range of channels. */
    private static final class AddRelu extends ChannelRange {
        MemorySegment a, b, out;
        long aOff, bOff, outOff;
        int length;
        boolean relu;

        @Override
        void run(int from, int to) {
            for (int c = from; c < to; c++) {
                long row = (long) c * length;
                addRow(a, aOff + row, b, bOff + row, relu, out, outOff + row, length);
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, a, b, out, null);
        }

        @Override
        void clear() {
            a = b = out = null;
        }
    }

    /** {@code out = relu?(a + b)} over one row; relu is checked once so each loop body vectorizes. */
    static void addRow(MemorySegment a, long x, MemorySegment b, long z, boolean relu, MemorySegment out, long y,
                       int length) {
        if (relu) {
            for (int i = 0; i < length; i++) {
                float v = a.getAtIndex(JAVA_FLOAT, x + i) + b.getAtIndex(JAVA_FLOAT, z + i);
                out.setAtIndex(JAVA_FLOAT, y + i, Math.max(v, 0f));
            }
        } else {
            for (int i = 0; i < length; i++) {
                out.setAtIndex(JAVA_FLOAT, y + i, a.getAtIndex(JAVA_FLOAT, x + i) + b.getAtIndex(JAVA_FLOAT, z + i));
            }
        }
    }

    /**
     * {@code out[c, ·] = in[c, ·] + bias[c] (+ residual[c, ·])}, then ReLU when {@code relu} is set: the epilogue of
     * a convolution or dense layer with a bias and no norm.
     *
     * @param in       {@code C·n·hw} floats
     * @param C        channels (units for a dense layer)
     * @param hw       {@code H·W}, 1 for vectors
     * @param n        samples in this batch
     * @param bias     {@code C} floats, or {@code null} for none
     * @param residual {@code C·n·hw} floats added after the bias, or {@code null} for none
     * @param relu     whether to clamp negative results to 0
     * @param out      {@code C·n·hw} floats; may be {@code in} or {@code residual}
     */
    public static void biasAddRelu(MemorySegment in, long inOff, int C, int hw, int n,
                                   MemorySegment bias, long bOff, MemorySegment residual, long rOff, boolean relu,
                                   MemorySegment out, long outOff) {
        int length = n * hw;
        for (int c = 0; c < C; c++) {
            float shift = bias == null ? 0f : bias.getAtIndex(JAVA_FLOAT, bOff + c);
            long row = (long) c * length;
            long x = inOff + row, y = outOff + row;
            if (residual == null) {
                shiftRow(in, x, shift, relu, out, y, length);
            } else {
                shiftAddRow(in, x, shift, residual, rOff + row, relu, out, y, length);
            }
        }
    }

    /** {@code out = relu?(in + shift)} over one row. */
    static void shiftRow(MemorySegment in, long x, float shift, boolean relu, MemorySegment out, long y, int length) {
        if (relu) {
            for (int i = 0; i < length; i++) {
                out.setAtIndex(JAVA_FLOAT, y + i, Math.max(in.getAtIndex(JAVA_FLOAT, x + i) + shift, 0f));
            }
        } else {
            for (int i = 0; i < length; i++) {
                out.setAtIndex(JAVA_FLOAT, y + i, in.getAtIndex(JAVA_FLOAT, x + i) + shift);
            }
        }
    }

    /** {@code out = relu?(in + shift + residual)} over one row. */
    static void shiftAddRow(MemorySegment in, long x, float shift, MemorySegment residual, long r, boolean relu,
                            MemorySegment out, long y, int length) {
        if (relu) {
            for (int i = 0; i < length; i++) {
                float v = in.getAtIndex(JAVA_FLOAT, x + i) + shift + residual.getAtIndex(JAVA_FLOAT, r + i);
                out.setAtIndex(JAVA_FLOAT, y + i, Math.max(v, 0f));
            }
        } else {
            for (int i = 0; i < length; i++) {
                float v = in.getAtIndex(JAVA_FLOAT, x + i) + shift + residual.getAtIndex(JAVA_FLOAT, r + i);
                out.setAtIndex(JAVA_FLOAT, y + i, v);
            }
        }
    }

    /*
     * Backward. The fused epilogues split into these pieces, which the generator chains: the ReLU's mask with
     * Activations.reluBackward (from the saved output), the add's gradient sent unchanged to both of its inputs with
     * accumulate (each input a reader of the same gradient), and the bias gradient with biasGradient.
     */

    /**
     * Sends a gradient on to a tensor's gradient buffer: {@code dst = src} ({@code overwrite}) or
     * {@code dst += src}. The backward of an add ({@link #addRelu} without ReLU, or once the ReLU's mask is applied)
     * is this, once for each of its two inputs, since both receive the output's gradient unchanged.
     *
     * <p>Note the flag's sense: {@code overwrite = true} is {@code accumulate = false} of the other backward kernels.
     *
     * @param src       the gradient, {@code C·n·hw} floats, channel-major
     * @param C         channels (features for vectors)
     * @param hw        {@code H·W}, 1 for vectors
     * @param n         samples in this batch
     * @param dst       {@code C·n·hw} floats, same layout; must not overlap {@code src} unless it is {@code src}
     * @param overwrite {@code true} copies, {@code false} adds onto what {@code dst} holds
     */
    public static void accumulate(MemorySegment src, long srcOff, int C, int hw, int n,
                                  MemorySegment dst, long dstOff, boolean overwrite) {
        if (overwrite) {
            Layout.copy(src, srcOff, dst, dstOff, C * n * hw); // one memmove, faster than any split
            return;
        }
        Accumulate task = ACCUMULATE.get();
        task.src = src; task.srcOff = srcOff; task.length = n * hw; task.dst = dst; task.dstOff = dstOff;
        task.runOverChannels(C, 3L * n * hw);
    }

    private static final ThreadLocal<Accumulate> ACCUMULATE = ThreadLocal.withInitial(Accumulate::new);

    /** {@link #accumulate}'s adding arguments and its work on a range of channels. */
    private static final class Accumulate extends ChannelRange {
        MemorySegment src, dst;
        long srcOff, dstOff;
        int length;

        @Override
        void run(int from, int to) {
            for (int c = from; c < to; c++) {
                long row = (long) c * length;
                long x = srcOff + row, y = dstOff + row;
                for (int i = 0; i < length; i++) {
                    float sum = dst.getAtIndex(JAVA_FLOAT, y + i) + src.getAtIndex(JAVA_FLOAT, x + i);
                    dst.setAtIndex(JAVA_FLOAT, y + i, sum);
                }
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, src, dst, null, null);
        }

        @Override
        void clear() {
            src = dst = null;
        }
    }

    /**
     * The gradient of a per-channel bias ({@link #biasAddRelu}, and the bias of {@link Conv2d} and {@link Dense}):
     * {@code dBias[c] = Σ dOut[c, ·]}, each channel's row summed in double, overwritten.
     *
     * @param dOut  gradient of the biased output (after any ReLU mask), channel-major {@code C×(n·hw)}
     * @param C     channels (units for a dense layer)
     * @param hw    {@code H·W}, 1 for vectors
     * @param n     samples in this batch
     * @param dBias {@code C} floats, overwritten
     */
    public static void biasGradient(MemorySegment dOut, long dOutOff, int C, int hw, int n,
                                    MemorySegment dBias, long dbOff) {
        int length = n * hw;
        for (int c = 0; c < C; c++) {
            long x = dOutOff + (long) c * length;
            double sum = 0;
            for (int i = 0; i < length; i++) {
                sum += dOut.getAtIndex(JAVA_FLOAT, x + i);
            }
            dBias.setAtIndex(JAVA_FLOAT, dbOff + c, (float) sum);
        }
    }
}
