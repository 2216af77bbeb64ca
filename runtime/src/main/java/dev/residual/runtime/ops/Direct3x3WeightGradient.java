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
 * <p><b>Kernel.</b> The sums are numbered by term, {@code k = c·9 + t} for channel {@code c} and tap {@code t}, each
 * one fixed offset into the input grid. Two filters × five terms at a time: ten vector accumulators held in registers
 * over the chunk, per 8 positions two loads of {@code dOut}, five loads of the input and ten fused multiply-adds; the
 * terms are padded to a multiple of five with copies of the first, whose sums are dropped. Twelve accumulators (two
 * filters × two channels × a row of three taps) spilled out of AVX2's sixteen registers: one thread, one chunk of
 * 16 × 28×28, 38–39 against 62–78 GFLOP/s (bench/README.md).
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
    /** Terms (channel and tap) one kernel step sums for each of its two filters. */
    private static final int TERMS = 5;
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
        long perUnit = ((long) task.C + 2L * task.pairsPerGroup) * task.plane * task.chunks / task.slices;
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
        int C, H, W, n, F, evenF, chunk, chunks, slices, plane;
        /** Terms {@code C·9} rounded up to a multiple of {@link #TERMS}, and each term's offset into the input grid. */
        int terms;
        int[] offsets = new int[0];
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
            evenF = (F + 1) & ~1;
            chunk = Direct3x3.imagesPerChunk(C, F, H, W, n);
            chunks = (n + chunk - 1) / chunk;
            slices = slices(chunks);
            int pairs = evenF / 2;
            int wanted = Math.max(1, MAX_SLICES / slices);
            pairsPerGroup = (pairs + wanted - 1) / wanted;
            groups = (pairs + pairsPerGroup - 1) / pairsPerGroup;
            plane = Direct3x3.planeFloats(H, W, chunk);
            terms = (C * 9 + TERMS - 1) / TERMS * TERMS;
            if (offsets.length < terms) {
                offsets = new int[terms];
            }
            int Wq = W + 1;
            for (int k = 0; k < terms; k++) {
                // A padding term repeats the first: it reads what exists, and its sums are never read.
                int term = k < C * 9 ? k : 0;
                offsets[k] = term / 9 * plane + (term % 9 / 3 - 1) * Wq + term % 3 - 1;
            }
            partials = Direct3x3.grown(partials, slices * F * C * 9);
        }

        /** Units {@code [from, to)}: unit {@code u} is filter group {@code u mod groups} of slice {@code u / groups}. */
        @Override
        void run(int from, int to) {
            Grids grids = GRIDS.get();
            grids.in = Direct3x3.grown(grids.in, C * plane);
            grids.dOut = Direct3x3.grown(grids.dOut, evenF * plane);
            grids.sums = Direct3x3.grown(grids.sums, evenF * terms * L);
            // An odd count's extra filter is a zero grid, whatever an earlier call left there.
            java.util.Arrays.fill(grids.dOut, F * plane, evenF * plane, 0f);
            // The chunk whose input grid this thread holds: the filter groups of a one-chunk slice share it.
            int packed = -1;
            for (int unit = from; unit < to; unit++) {
                int slice = unit / groups;
                int f0 = 2 * pairsPerGroup * (unit % groups);
                int f1 = Math.min(evenF, f0 + 2 * pairsPerGroup);
                java.util.Arrays.fill(grids.sums, f0 * terms * L, f1 * terms * L, 0f);
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
         * the only ones where {@code dOut} may be non-zero, for each pair of those filters and each five terms.
         */
        private void kernel(Grids grids, int f0, int f1, int rows) {
            int Wq = W + 1;
            int start = Direct3x3.MARGIN + Wq;
            int end = Direct3x3.MARGIN + (rows - 1) * Wq;
            for (int f = f0; f < f1; f += 2) {
                for (int k = 0; k < terms; k += TERMS) {
                    block(grids, f, k, start, end);
                }
            }
        }

        /** Filters {@code f, f + 1} × terms {@code k … k + 4}, over the positions {@code [start, end)}. */
        private void block(Grids grids, int f, int k, int start, int end) {
            float[] input = grids.in, d = grids.dOut, sums = grids.sums;
            int[] at = offsets;
            int s0 = (f * terms + k) * L;
            int s1 = s0 + terms * L;
            FloatVector a0 = FloatVector.fromArray(S, sums, s0);
            FloatVector a1 = FloatVector.fromArray(S, sums, s0 + L);
            FloatVector a2 = FloatVector.fromArray(S, sums, s0 + 2 * L);
            FloatVector a3 = FloatVector.fromArray(S, sums, s0 + 3 * L);
            FloatVector a4 = FloatVector.fromArray(S, sums, s0 + 4 * L);
            FloatVector b0 = FloatVector.fromArray(S, sums, s1);
            FloatVector b1 = FloatVector.fromArray(S, sums, s1 + L);
            FloatVector b2 = FloatVector.fromArray(S, sums, s1 + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, sums, s1 + 3 * L);
            FloatVector b4 = FloatVector.fromArray(S, sums, s1 + 4 * L);
            int d0 = f * plane, d1 = d0 + plane;
            int x0 = at[k], x1 = at[k + 1], x2 = at[k + 2], x3 = at[k + 3], x4 = at[k + 4];
            for (int q = start; q < end; q += L) {
                FloatVector dy0 = FloatVector.fromArray(S, d, d0 + q);
                FloatVector dy1 = FloatVector.fromArray(S, d, d1 + q);
                FloatVector x = FloatVector.fromArray(S, input, x0 + q);
                a0 = x.fma(dy0, a0);
                b0 = x.fma(dy1, b0);
                x = FloatVector.fromArray(S, input, x1 + q);
                a1 = x.fma(dy0, a1);
                b1 = x.fma(dy1, b1);
                x = FloatVector.fromArray(S, input, x2 + q);
                a2 = x.fma(dy0, a2);
                b2 = x.fma(dy1, b2);
                x = FloatVector.fromArray(S, input, x3 + q);
                a3 = x.fma(dy0, a3);
                b3 = x.fma(dy1, b3);
                x = FloatVector.fromArray(S, input, x4 + q);
                a4 = x.fma(dy0, a4);
                b4 = x.fma(dy1, b4);
            }
            a0.intoArray(sums, s0);
            a1.intoArray(sums, s0 + L);
            a2.intoArray(sums, s0 + 2 * L);
            a3.intoArray(sums, s0 + 3 * L);
            a4.intoArray(sums, s0 + 4 * L);
            b0.intoArray(sums, s1);
            b1.intoArray(sums, s1 + L);
            b2.intoArray(sums, s1 + 2 * L);
            b3.intoArray(sums, s1 + 3 * L);
            b4.intoArray(sums, s1 + 4 * L);
        }

        /** Filters {@code [f0, f1)} of slice {@code slice}'s partial gradient: each accumulator's lanes in order. */
        private void reduce(float[] sums, int slice, int f0, int f1) {
            int base = slice * F * C * 9;
            for (int f = f0; f < f1; f++) {
                for (int c = 0; c < C; c++) {
                    for (int t = 0; t < 9; t++) {
                        int s = (f * terms + c * 9 + t) * L;
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
