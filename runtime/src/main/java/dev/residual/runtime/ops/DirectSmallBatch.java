package dev.residual.runtime.ops;

import static dev.residual.runtime.ops.PackedWeights.Layout.SMALL_BATCH;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.parallel.Parts;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A small batch's convolution forward, of any kernel size, stride and padding, computed directly in the Vector API
 * with the vectors running across filters: no column matrix, no GEMM, and no work on padding. A strided layer's
 * forward comes here at any batch ({@link DirectConv2d#acrossFilters}).
 *
 * <p><b>Why across filters.</b> At batch 1 a 14×14 or 7×7 map is too small for {@link Direct3x3}, whose vectors run
 * across pixels: a third of its 7×7 grid is padding. Here a vector holds eight filters' values at one output pixel,
 * so only real output pixels are computed, whatever the map's size or the stride, and each step's input values are
 * single floats broadcast to all lanes.
 *
 * <p><b>Layout.</b> The input is copied in bulk, channel by channel, each channel after one zero. A table made
 * once per geometry (image size, kernel, stride, padding) gives, for every output pixel and tap, the input index it
 * reads, or that zero where the tap falls on padding; so stride and padding cost nothing in the kernel. The table is
 * made for the largest batch seen and serves every smaller one (its first pixels are theirs), so a model called with
 * batches of many sizes makes a new table only when the batch grows. The
 * weights are packed as {@code [group][tap][c][16]}, groups of sixteen filters. Packing reorders every weight, so the
 * packed copy is kept and reused while the weights it was made from are unchanged ({@link PackedWeights}): known when
 * a compiled model passes the weights version the packing was made at, else checked by comparing them with a copy
 * (a few microseconds for 64 × 64 filters, against tens to pack them again): inference packs once, a training step
 * packs again after each update. On several threads, when the first weights are
 * unchanged, the call computes with the kept packing while each band compares its own slice of the rest, and packs
 * and computes again in the rare case that one had changed: the comparison, 5 µs of a 40 µs call for 64 × 64
 * filters, is then shared by the threads instead of run by the caller before they start.
 *
 * <p><b>Kernel.</b> Sixteen filters (two vectors) × four output pixels at a time: eight accumulators held in
 * registers through the sum over taps and channels; per tap and channel, two weight vectors, four broadcast inputs and
 * eight fused multiply-adds. Five pixels (ten accumulators) ran at half the speed, 30 against 59 GFLOP/s on one
 * thread for 64 channels of 7×7: with the broadcast inputs they no longer fit AVX2's sixteen registers.
 *
 * <p><b>Threads.</b> The work is (filter group, run of four pixels) units, cut into {@link #PARTS_PER_THREAD} parts
 * per thread and run as the GEMM backend's bands (their helper stays ready between calls, more so while a compiled
 * model holds it for a pass, {@link Gemm#holdBands}; {@link Workers}' parked threads cost more to wake than such a
 * call takes). Each output value is one fixed sum whatever the split, so results do not depend on the thread count.
 */
final class DirectSmallBatch {

    private DirectSmallBatch() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    /** Floats per vector. */
    private static final int L = 8;
    /** Filters per group: two vectors. */
    static final int GROUP = 2 * L;
    /** Output pixels per kernel step: with a group's two vectors, eight accumulators (see the class comment). */
    private static final int POINTS = 4;
    /**
     * Parts per thread a call is cut into: a helper that wakes late then leaves the caller at most one small part to
     * wait for, where with one part per thread the caller would wait for the helper's whole half.
     */
    private static final int PARTS_PER_THREAD = 8;
    /** How many layer geometries' tap tables a thread keeps: ResNet-20's layers here have four. */
    private static final int GEOMETRIES = 16;

    /**
     * {@code out = conv(in, weight)}, no bias.
     *
     * @param in     channel-major {@code C×(n·H·W)}
     * @param weight {@code F×C×K×K}, {@code F} a multiple of {@link #GROUP}
     * @param out    channel-major {@code F×(n·OH·OW)}
     */
    static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                        MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                        MemorySegment out, long outOff) {
        forward(gemm, in, inOff, C, H, W, n, weight, wOff, F, K, stride, pad, out, outOff, -1);
    }

    /**
     * {@link #forward}, the weights' packing reused without comparing them when {@code version} (a compiled model's
     * {@code weightsVersion}, −1 for unknown) is the one it was made at ({@link PackedWeights#current}).
     */
    static void forward(Gemm gemm, MemorySegment in, long inOff, int C, int H, int W, int n,
                        MemorySegment weight, long wOff, int F, int K, int stride, int pad,
                        MemorySegment out, long outOff, long version) {
        Task task = TASK.get();
        task.set(in, inOff, C, H, W, n, F, K, stride, pad, out, outOff);
        int threads = Workers.shared().threads();
        int bands = Math.min(PARTS_PER_THREAD * threads, task.units);
        boolean parallel = threads > 1 && bands > 1 && task.accessibleBy(ChannelRange.ELSEWHERE)
                && weight.isAccessibleBy(ChannelRange.ELSEWHERE);
        try {
            if (parallel) {
                task.bands = bands;
                int slot = task.cache.slotOf(weight, wOff, F, C, K * K, SMALL_BATCH);
                if (slot >= 0 && !task.cache.current(slot, version)
                        && task.cache.unchanged(slot, weight, wOff, 0, Math.min(PREFIX, F * C * K * K))) {
                    // Most likely unchanged: compute with the kept packing while the bands check the rest of the
                    // weights, a slice each, instead of the caller checking them all first.
                    task.speculate(slot, weight, wOff, F * C * K * K);
                    gemm.runBands(task, bands);
                    if (!task.changed) {
                        task.cache.confirm(slot, version);
                        return;
                    }
                    task.check = null; // a slice had changed: pack again and compute again
                }
            }
            // Reused without a comparison when current at this version, else compared, else packed again.
            task.weights = task.cache.packed(weight, wOff, F, C, K * K, SMALL_BATCH, version);
            if (parallel) {
                gemm.runBands(task, bands);
            } else {
                task.runUnits(0, task.units);
            }
        } finally {
            task.clear();
        }
    }

    /**
     * The weights the caller compares before computing with a kept packing, the rest being compared by the bands
     * alongside: when training has changed the weights, these first ones have almost surely changed too, and the
     * layer is packed again without computing twice.
     */
    private static final int PREFIX = 64;

    private static final ThreadLocal<Task> TASK = ThreadLocal.withInitial(Task::new);
    /** Each band thread's staging of one step's results before they are written out filter by filter. */
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[POINTS * GROUP]);

    /** One call's arguments, its packed input, and its work over (filter group, run of pixels) units. */
    private static final class Task extends ChannelRange implements Parts {
        final PackedWeights cache = new PackedWeights();
        MemorySegment out;
        long outOff;
        int C, T, units, runs, bands, plane;
        /** The batch's output pixels: also the floats between one output channel and the next in {@code out}. */
        int pixels;
        /**
         * The input, channel by channel: each channel one zero and then its {@code n·H·W} floats; after the last, the
         * {@code POINTS − 1} images' worth of floats that the last run's missing pixels (up to {@code POINTS − 1}, in as
         * many images when the output is one pixel) may read when the table is a larger batch's.
         */
        float[] input = new float[0];
        float[] weights;
        /** While speculating: the weights the bands compare with the copy in {@link #slot}, a slice each. */
        MemorySegment check;
        long checkOff;
        int slot, checkFloats;
        /** Whether a band found its slice of {@link #check} changed. */
        volatile boolean changed;
        /**
         * Per output pixel (in the output's order, padded to whole runs) and tap: the index in a channel of
         * {@link #input} it reads, or 0, the channel's leading zero, where the tap falls on padding.
         */
        int[] taps;
        /**
         * The tap tables of recent geometries (a model's layers take turns), and each one's H, W, K, stride, pad and the
         * batch it was made for.
         */
        private final int[][] tables = new int[GEOMETRIES][];
        private final int[] geometries = new int[GEOMETRIES * 6];
        private int nextTable;

        void set(MemorySegment in, long inOff, int C, int H, int W, int n, int F, int K, int stride, int pad,
                 MemorySegment out, long outOff) {
            this.out = out;
            this.outOff = outOff;
            this.C = C;
            T = K * K;
            int OH = Conv2d.outputSize(H, K, stride, pad), OW = Conv2d.outputSize(W, K, stride, pad);
            pixels = n * OH * OW;
            plane = 1 + n * H * W;
            runs = (pixels + POINTS - 1) / POINTS;
            units = F / GROUP * runs;
            taps = tapsFor(H, W, n, K, stride, pad, OH, OW);
            int count = n * H * W;
            input = Direct3x3.grown(input, C * plane + (POINTS - 1) * H * W);
            for (int c = 0; c < C; c++) {
                input[c * plane] = 0f;
                MemorySegment.copy(in, JAVA_FLOAT, (inOff + (long) c * count) * Float.BYTES, input, c * plane + 1,
                        count);
            }
        }

        /**
         * The tap table of this geometry for at least {@code n} images: kept from an earlier call, or made now, in
         * place of this geometry's smaller one or else of the oldest.
         */
        private int[] tapsFor(int H, int W, int n, int K, int stride, int pad, int OH, int OW) {
            int[] known = geometries;
            int slot = -1;
            for (int g = 0; g < GEOMETRIES && slot < 0; g++) {
                int at = 6 * g;
                if (tables[g] != null && known[at] == H && known[at + 1] == W && known[at + 2] == K
                        && known[at + 3] == stride && known[at + 4] == pad) {
                    if (known[at + 5] >= n) {
                        return tables[g];
                    }
                    slot = g;
                }
            }
            if (slot < 0) {
                slot = nextTable;
                nextTable = (nextTable + 1) % GEOMETRIES;
            }
            int[] table = new int[runs * POINTS * T];
            int p = 0;
            for (int i = 0; i < n; i++) {
                for (int oy = 0; oy < OH; oy++) {
                    for (int ox = 0; ox < OW; ox++, p++) {
                        for (int t = 0; t < T; t++) {
                            int y = oy * stride - pad + t / K, x = ox * stride - pad + t % K;
                            boolean inside = y >= 0 && y < H && x >= 0 && x < W;
                            table[p * T + t] = inside ? 1 + (i * H + y) * W + x : 0; // 0: the zero
                        }
                    }
                }
            }
            // The last run's missing pixels read zeros: computed, never written out.
            Arrays.fill(table, pixels * T, runs * POINTS * T, 0);
            int at = 6 * slot;
            known[at] = H;
            known[at + 1] = W;
            known[at + 2] = K;
            known[at + 3] = stride;
            known[at + 4] = pad;
            known[at + 5] = n;
            tables[slot] = table;
            return table;
        }

        /** Computes with the packing kept in {@code slot}, the bands checking that the weights are what it was made from. */
        void speculate(int slot, MemorySegment weight, long wOff, int floats) {
            this.slot = slot;
            check = weight;
            checkOff = wOff;
            checkFloats = floats;
            changed = false;
            weights = cache.packedOf(slot);
        }

        /**
         * One band of {@link Gemm#runBands}: an equal share of the units; while speculating, first the same share of
         * the weights compared with the kept copy.
         */
        @Override
        public void runPart(int band) {
            MemorySegment weight = check;
            if (weight != null && !cache.unchanged(slot, weight, checkOff, (long) checkFloats * band / bands,
                    (long) checkFloats * (band + 1) / bands)) {
                changed = true;
            }
            runUnits((int) ((long) units * band / bands), (int) ((long) units * (band + 1) / bands));
        }

        /** Units {@code [from, to)}, filter group by filter group. */
        void runUnits(int from, int to) {
            float[] tile = TILE.get();
            for (int u = from; u < to; u++) {
                int group = u / runs;
                step(group, u % runs * POINTS, tile);
            }
        }

        @Override
        void run(int from, int to) {
            runUnits(from, to);
        }

        /**
         * Filter group {@code group} at output pixels {@code [first, first + POINTS)}: the sums in registers, then
         * through {@code tile} out to each filter's row.
         */
        private void step(int group, int first, float[] tile) {
            float[] g = input, w = weights;
            int[] taps = this.taps;
            int C = this.C, plane = this.plane, T = this.T;
            FloatVector a0, a1, a2, a3, b0, b1, b2, b3;
            a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = FloatVector.zero(S);
            int wi = group * T * C * GROUP;
            int at = first * T;
            for (int t = 0; t < T; t++, wi += C * GROUP, at++) {
                int i0 = taps[at], i1 = taps[at + T], i2 = taps[at + 2 * T], i3 = taps[at + 3 * T];
                for (int c = 0, o = 0; c < C; c++, o += plane) {
                    FloatVector w0 = FloatVector.fromArray(S, w, wi + c * GROUP);
                    FloatVector w1 = FloatVector.fromArray(S, w, wi + c * GROUP + L);
                    FloatVector x = FloatVector.broadcast(S, g[i0 + o]);
                    a0 = w0.fma(x, a0);
                    b0 = w1.fma(x, b0);
                    x = FloatVector.broadcast(S, g[i1 + o]);
                    a1 = w0.fma(x, a1);
                    b1 = w1.fma(x, b1);
                    x = FloatVector.broadcast(S, g[i2 + o]);
                    a2 = w0.fma(x, a2);
                    b2 = w1.fma(x, b2);
                    x = FloatVector.broadcast(S, g[i3 + o]);
                    a3 = w0.fma(x, a3);
                    b3 = w1.fma(x, b3);
                }
            }
            a0.intoArray(tile, 0);
            b0.intoArray(tile, L);
            a1.intoArray(tile, GROUP);
            b1.intoArray(tile, GROUP + L);
            a2.intoArray(tile, 2 * GROUP);
            b2.intoArray(tile, 2 * GROUP + L);
            a3.intoArray(tile, 3 * GROUP);
            b3.intoArray(tile, 3 * GROUP + L);
            int count = Math.min(POINTS, pixels - first);
            long base = outOff + (long) group * GROUP * pixels + first;
            for (int j = 0; j < GROUP; j++) {
                long row = base + (long) j * pixels;
                for (int k = 0; k < count; k++) {
                    out.setAtIndex(JAVA_FLOAT, row + k, tile[k * GROUP + j]);
                }
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, out, null, null, null);
        }

        @Override
        void clear() {
            out = null;
            weights = null;
            check = null;
        }
    }
}
