package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The weight gradient of a 3×3, stride-1, padding-1 convolution computed directly, in the Vector API: no column
 * matrix, no GEMM. Only {@link DirectConv2d} calls it, and only when {@link DirectConv2d#vectorApiOn} says the
 * incubator module is there.
 *
 * <p>{@code dW[f][c][t] = Σ over images and pixels p of dOut[f][p] · in[c][p + shift(t)]}. Both maps are copied, a
 * chunk of images at a time, into {@link Direct3x3}'s zero-bordered grid, where every tap is one fixed offset from the
 * pixel's own position and {@code dOut} is zero on the padding; each sum then runs over the chunk's grid as one flat
 * sequence, 8 positions a vector, and the 8 lanes are added up at the end.
 *
 * <p><b>Kernel.</b> Two filters × two channels × one row of three taps at a time: twelve vector accumulators held in
 * registers over the chunk, per 8 positions two loads of {@code dOut}, six (overlapping) loads of the input and
 * twelve fused multiply-adds.
 *
 * <p><b>Why not im2col + GEMM.</b> For 16 channels that product is {@code 16 × 144}, as deep as the batch has pixels: a
 * shape OpenBLAS runs slowly, and its column matrix is nine times the input. Inside a ResNet-20 training step at batch
 * 128 on this project's machine (bundled OpenBLAS, 2 threads; bench/README.md) it took 15.9 ms for a 28×28 layer,
 * this kernel 9.9 ms. {@link DirectConv2d#directWeightGradient} says which layers come here.
 *
 * <p><b>Threads.</b> The chunks are cut into {@link #slices}, and when there are fewer slices than
 * {@link #MAX_SLICES} (a small batch) the filters into groups, both depending only on the shapes. Each slice sums
 * into its own partial gradient, and the partials are added in slice order at the end, so the result does not depend
 * on the thread count.
 */
final class Direct3x3WeightGradient {

    private Direct3x3WeightGradient() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    /** Floats per vector. */
    private static final int L = 8;
    /** The most slices a call is cut into: enough for the threads of any machine this runs on to share. */
    static final int MAX_SLICES = 8;

    /**
     * {@code dWeight = Σ dOut · in} over the batch, 3×3 taps, stride 1, padding 1; overwrites {@code dWeight}.
     *
     * @param in      channel-major {@code C×(n·H·W)}: the convolution's input
     * @param dOut    channel-major {@code F×(n·H·W)}: the gradient of its output
     * @param dWeight {@code F×C×3×3}
     */
    static void compute(MemorySegment in, long inOff, int C, int H, int W, int n,
                        MemorySegment dOut, long dOutOff, int F, MemorySegment dWeight, long dwOff) {
        Task task = TASK.get();
        task.set(in, inOff, C, H, W, n, dOut, dOutOff, F);
        long perUnit = ((long) task.evenC + 2L * task.pairsPerGroup) * task.plane * task.chunks / task.slices;
        task.runOverChannels(task.slices * task.groups, perUnit);
        task.sumPartials(dWeight, dwOff);
    }

    /** Slices of {@code chunks} chunks: at most {@link #MAX_SLICES}, whatever the thread count. */
    static int slices(int chunks) {
        return Math.min(chunks, MAX_SLICES);
    }

    private static final ThreadLocal<Task> TASK = ThreadLocal.withInitial(Task::new);
    private static final ThreadLocal<Grids> GRIDS = ThreadLocal.withInitial(Grids::new);

    /** One thread's work arrays, grown on demand and reused. */
    private static final class Grids {
        float[] in = new float[0];
        float[] dOut = new float[0];
        /** Vector accumulators {@code [f][c][t][lane]} of the slice this thread is running. */
        float[] sums = new float[0];
    }

    /** One call's arguments, its slices' partial gradients, and the work of a range of slices. */
    private static final class Task extends ChannelRange {
        MemorySegment in, dOut;
        long inOff, dOutOff;
        int C, H, W, n, F, evenC, evenF, chunk, chunks, slices, plane;
        /** Groups of filter pairs per slice, and pairs per group (the last group may have fewer). */
        int groups, pairsPerGroup;
        /** {@code [slice][f][c][t]}, each slice's sum; grown on demand and reused. */
        float[] partials = new float[0];

        void set(MemorySegment in, long inOff, int C, int H, int W, int n, MemorySegment dOut, long dOutOff, int F) {
            this.in = in;
            this.inOff = inOff;
            this.C = C;
            this.H = H;
            this.W = W;
            this.n = n;
            this.dOut = dOut;
            this.dOutOff = dOutOff;
            this.F = F;
            evenC = (C + 1) & ~1;
            evenF = (F + 1) & ~1;
            chunk = Direct3x3.imagesPerChunk(C, F, H, W, n);
            chunks = (n + chunk - 1) / chunk;
            slices = slices(chunks);
            int pairs = evenF / 2;
            int wanted = Math.max(1, MAX_SLICES / slices);
            pairsPerGroup = (pairs + wanted - 1) / wanted;
            groups = (pairs + pairsPerGroup - 1) / pairsPerGroup;
            plane = Direct3x3.planeFloats(H, W, chunk);
            partials = Direct3x3.grown(partials, slices * F * C * 9);
        }

        /** Units {@code [from, to)}: unit {@code u} is filter group {@code u mod groups} of slice {@code u / groups}. */
        @Override
        void run(int from, int to) {
            Grids grids = GRIDS.get();
            grids.in = Direct3x3.grown(grids.in, evenC * plane);
            grids.dOut = Direct3x3.grown(grids.dOut, evenF * plane);
            grids.sums = Direct3x3.grown(grids.sums, evenF * evenC * 9 * L);
            // An odd count's extra channel or filter is a zero grid, whatever an earlier call left there.
            java.util.Arrays.fill(grids.in, C * plane, evenC * plane, 0f);
            java.util.Arrays.fill(grids.dOut, F * plane, evenF * plane, 0f);
            // The chunk whose input grid this thread holds: the filter groups of a one-chunk slice share it.
            int packed = -1;
            for (int unit = from; unit < to; unit++) {
                int slice = unit / groups;
                int f0 = 2 * pairsPerGroup * (unit % groups);
                int f1 = Math.min(evenF, f0 + 2 * pairsPerGroup);
                java.util.Arrays.fill(grids.sums, f0 * evenC * 9 * L, f1 * evenC * 9 * L, 0f);
                int c0 = (int) ((long) chunks * slice / slices);
                int c1 = (int) ((long) chunks * (slice + 1) / slices);
                for (int k = c0; k < c1; k++) {
                    int s0 = k * chunk;
                    int rows = Direct3x3.gridRows(H, Math.min(chunk, n - s0));
                    if (k != packed) {
                        Direct3x3.toGrid(in, inOff, 0, C, H, W, n, s0, 0, rows, rows, grids.in, plane);
                        packed = k;
                    }
                    Direct3x3.toGrid(dOut, dOutOff, f0, Math.min(F, f1), H, W, n, s0, 0, rows, rows, grids.dOut,
                            plane);
                    kernel(grids, f0, f1, rows);
                }
                reduce(grids.sums, slice, f0, Math.min(F, f1));
            }
        }

        /**
         * Adds this chunk's sums onto the accumulators of filters {@code [f0, f1)}: grid rows 1 to {@code rows − 1},
         * the only ones where {@code dOut} may be non-zero, for each pair of those filters, each pair of channels and
         * each row of taps.
         */
        private void kernel(Grids grids, int f0, int f1, int rows) {
            int Wq = W + 1;
            int start = Direct3x3.MARGIN + Wq;
            int end = Direct3x3.MARGIN + (rows - 1) * Wq;
            for (int f = f0; f < f1; f += 2) {
                for (int c = 0; c < evenC; c += 2) {
                    for (int ky = 0; ky < 3; ky++) {
                        block(grids, f, c, ky, (ky - 1) * Wq - 1, start, end);
                    }
                }
            }
        }

        /**
         * Filters {@code f, f + 1} × channels {@code c, c + 1} × taps {@code 3·ky … 3·ky + 2}, whose input is read at
         * {@code shift}, {@code shift + 1}, {@code shift + 2} from each position in {@code [start, end)}.
         */
        private void block(Grids grids, int f, int c, int ky, int shift, int start, int end) {
            float[] input = grids.in, d = grids.dOut, sums = grids.sums;
            int s0 = ((f * evenC + c) * 9 + 3 * ky) * L;
            int s1 = s0 + 9 * L;
            int s2 = s0 + evenC * 9 * L;
            int s3 = s2 + 9 * L;
            FloatVector a0 = FloatVector.fromArray(S, sums, s0);
            FloatVector a1 = FloatVector.fromArray(S, sums, s0 + L);
            FloatVector a2 = FloatVector.fromArray(S, sums, s0 + 2 * L);
            FloatVector b0 = FloatVector.fromArray(S, sums, s1);
            FloatVector b1 = FloatVector.fromArray(S, sums, s1 + L);
            FloatVector b2 = FloatVector.fromArray(S, sums, s1 + 2 * L);
            FloatVector e0 = FloatVector.fromArray(S, sums, s2);
            FloatVector e1 = FloatVector.fromArray(S, sums, s2 + L);
            FloatVector e2 = FloatVector.fromArray(S, sums, s2 + 2 * L);
            FloatVector g0 = FloatVector.fromArray(S, sums, s3);
            FloatVector g1 = FloatVector.fromArray(S, sums, s3 + L);
            FloatVector g2 = FloatVector.fromArray(S, sums, s3 + 2 * L);
            int d0 = f * plane, d1 = d0 + plane;
            int x0 = c * plane + shift, x1 = x0 + plane;
            for (int q = start; q < end; q += L) {
                FloatVector dy0 = FloatVector.fromArray(S, d, d0 + q);
                FloatVector dy1 = FloatVector.fromArray(S, d, d1 + q);
                FloatVector x = FloatVector.fromArray(S, input, x0 + q);
                a0 = x.fma(dy0, a0);
                e0 = x.fma(dy1, e0);
                x = FloatVector.fromArray(S, input, x0 + q + 1);
                a1 = x.fma(dy0, a1);
                e1 = x.fma(dy1, e1);
                x = FloatVector.fromArray(S, input, x0 + q + 2);
                a2 = x.fma(dy0, a2);
                e2 = x.fma(dy1, e2);
                x = FloatVector.fromArray(S, input, x1 + q);
                b0 = x.fma(dy0, b0);
                g0 = x.fma(dy1, g0);
                x = FloatVector.fromArray(S, input, x1 + q + 1);
                b1 = x.fma(dy0, b1);
                g1 = x.fma(dy1, g1);
                x = FloatVector.fromArray(S, input, x1 + q + 2);
                b2 = x.fma(dy0, b2);
                g2 = x.fma(dy1, g2);
            }
            a0.intoArray(sums, s0);
            a1.intoArray(sums, s0 + L);
            a2.intoArray(sums, s0 + 2 * L);
            b0.intoArray(sums, s1);
            b1.intoArray(sums, s1 + L);
            b2.intoArray(sums, s1 + 2 * L);
            e0.intoArray(sums, s2);
            e1.intoArray(sums, s2 + L);
            e2.intoArray(sums, s2 + 2 * L);
            g0.intoArray(sums, s3);
            g1.intoArray(sums, s3 + L);
            g2.intoArray(sums, s3 + 2 * L);
        }

        /** Filters {@code [f0, f1)} of slice {@code slice}'s partial gradient: each accumulator's lanes in order. */
        private void reduce(float[] sums, int slice, int f0, int f1) {
            int base = slice * F * C * 9;
            for (int f = f0; f < f1; f++) {
                for (int c = 0; c < C; c++) {
                    for (int t = 0; t < 9; t++) {
                        int s = ((f * evenC + c) * 9 + t) * L;
                        float total = 0f;
                        for (int lane = 0; lane < L; lane++) {
                            total += sums[s + lane];
                        }
                        partials[base + (f * C + c) * 9 + t] = total;
                    }
                }
            }
        }

        /** {@code dWeight} = the slices' partials added in slice order. */
        void sumPartials(MemorySegment dWeight, long dwOff) {
            int size = F * C * 9;
            for (int slice = 1; slice < slices; slice++) {
                int base = slice * size;
                for (int i = 0; i < size; i++) {
                    partials[i] += partials[base + i];
                }
            }
            MemorySegment.copy(partials, 0, dWeight, JAVA_FLOAT, dwOff * Float.BYTES, size);
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, in, dOut, null, null);
        }

        @Override
        void clear() {
            in = dOut = null;
        }
    }
}
