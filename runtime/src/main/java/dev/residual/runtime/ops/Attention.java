package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import dev.residual.runtime.gemm.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * Scaled dot-product self-attention over {@code H} heads, the part of multi-head attention between the {@code qkv}
 * projection and the output projection (both {@link Dense}). For each sequence {@code s} and head {@code h}:
 * {@code S = Qᵀ·K / √dh} ({@code T×T}, causal: {@code −∞} above the diagonal), {@code P = softmax} of each row, and
 * {@code O = V·Pᵀ}, with {@code dh = D/H}.
 *
 * <p>Layout, feature-major like every sequence tensor: {@code qkv} is {@code 3D×(n·T)} with rows {@code [q | k | v]},
 * so head {@code h}'s queries of sequence {@code s} are the {@code dh×T} block at row {@code h·dh}, column
 * {@code s·T}, leading dimension {@code n·T} — every matrix product reads its operands in place, one sgemm per
 * sequence and head. The output is {@code D×(n·T)} with head {@code h} in rows {@code h·dh …}, the order of PyTorch's
 * {@code y.transpose(1, 2).reshape(n, T, D)}.
 *
 * <p>Nothing is kept between forward and backward: the backward recomputes {@code P} one head at a time. That costs
 * one extra {@code T×T×dh} product per head and saves {@code n·H·T²} floats; the {@code T×T} scores live in a
 * caller-planned scratch of {@link #scratchFloats} floats, so no call allocates.
 */
public final class Attention {

    private Attention() {}

    /** Floats of scratch {@link #forward} and {@link #backward} need: the scores and their gradient. */
    public static long scratchFloats(int T) {
        return 2L * T * T;
    }

    /**
     * {@code out = attention(qkv)}.
     *
     * @param gemm    the matrix-product backend
     * @param qkv     {@code 3D×(n·T)} queries, keys and values
     * @param D       features ({@code H·dh})
     * @param H       heads; must divide {@code D}
     * @param T       sequence length
     * @param n       sequences in this batch
     * @param causal  whether position {@code i} attends only to positions {@code j ≤ i}
     * @param scratch at least {@link #scratchFloats} floats
     * @param out     {@code D×(n·T)}; must not overlap {@code qkv}
     */
    public static void forward(Gemm gemm, MemorySegment qkv, long qkvOff, int D, int H, int T, int n,
                               boolean causal, MemorySegment scratch, long sOff, MemorySegment out, long outOff) {
        checkHeads(D, H);
        int dh = D / H, ld = n * T;
        for (int s = 0; s < n; s++) {
            for (int h = 0; h < H; h++) {
                long column = (long) s * T, q = qkvOff + (long) h * dh * ld + column;
                probabilities(gemm, qkv, q, q + (long) D * ld, dh, T, ld, causal, scratch, sOff);
                gemm.sgemm(false, true, dh, T, T, 1f, qkv, q + 2L * D * ld, ld, scratch, sOff, T,
                        0f, out, outOff + (long) h * dh * ld + column, ld);
            }
        }
    }

    /**
     * The gradient of {@code qkv} from that of the output: with {@code dS = P ⊙ (dP − rowsum(dP ⊙ P))} and
     * {@code dP = dOᵀ·V}: {@code dQ = K·dSᵀ/√dh}, {@code dK = Q·dS/√dh}, {@code dV = dO·P}.
     *
     * @param dOut       gradient of the output, {@code D×(n·T)}
     * @param scratch    at least {@link #scratchFloats} floats
     * @param dQkv       {@code 3D×(n·T)} floats receiving the gradient; must not overlap the other tensors
     * @param accumulate {@code false} overwrites {@code dQkv}, {@code true} adds to what it holds
     */
    public static void backward(Gemm gemm, MemorySegment qkv, long qkvOff, int D, int H, int T, int n,
                                boolean causal, MemorySegment dOut, long dOutOff, MemorySegment scratch, long sOff,
                                MemorySegment dQkv, long dqOff, boolean accumulate) {
        checkHeads(D, H);
        int dh = D / H, ld = n * T;
        float scale = (float) (1 / Math.sqrt(dh)), beta = accumulate ? 1f : 0f;
        long p = sOff, dp = sOff + (long) T * T;
        for (int s = 0; s < n; s++) {
            for (int h = 0; h < H; h++) {
                long column = (long) s * T, head = (long) h * dh * ld + column;
                long q = qkvOff + head, k = q + (long) D * ld, v = k + (long) D * ld;
                long dq = dqOff + head, dk = dq + (long) D * ld, dv = dk + (long) D * ld;
                long dO = dOutOff + head;
                probabilities(gemm, qkv, q, k, dh, T, ld, causal, scratch, p);
                gemm.sgemm(false, false, dh, T, T, 1f, dOut, dO, ld, scratch, p, T, beta, dQkv, dv, ld);
                gemm.sgemm(true, false, T, T, dh, 1f, dOut, dO, ld, qkv, v, ld, 0f, scratch, dp, T);
                softmaxBackward(scratch, p, dp, T);
                gemm.sgemm(false, true, dh, T, T, scale, qkv, k, ld, scratch, dp, T, beta, dQkv, dq, ld);
                gemm.sgemm(false, false, dh, T, T, scale, qkv, q, ld, scratch, dp, T, beta, dQkv, dk, ld);
            }
        }
    }

    /**
     * Sets the gradient of the keys' third of the {@code qkv} bias to 0 — call it after the {@code qkv} layer's
     * backward. A key bias {@code b} adds {@code q·b} to every score of a row, which softmax ignores, so its exact
     * gradient is 0. Computed through the products above it is rounding noise instead (here ~1e-9 where PyTorch in
     * float64 gets ~1e-18), and AdamW, dividing each step by √v, turns such noise into steps of about the learning
     * rate: measured 2e-4 off PyTorch after 3 steps. Writing the exact value keeps the optimizer on PyTorch's path.
     *
     * @param dBias the {@code qkv} bias gradient, {@code 3D} floats {@code [q | k | v]}
     * @param D     features ({@code H·dh})
     */
    public static void clearKeyBiasGradient(MemorySegment dBias, long dbOff, int D) {
        for (long i = dbOff + D, end = dbOff + 2L * D; i < end; i++) {
            dBias.setAtIndex(JAVA_FLOAT, i, 0f);
        }
    }

    /** {@code P = softmax(Qᵀ·K/√dh)} of one sequence and head into {@code T×T} floats at {@code pOff}. */
    private static void probabilities(Gemm gemm, MemorySegment qkv, long q, long k, int dh, int T, int ld,
                                      boolean causal, MemorySegment scratch, long pOff) {
        float scale = (float) (1 / Math.sqrt(dh));
        gemm.sgemm(true, false, T, T, dh, scale, qkv, q, ld, qkv, k, ld, 0f, scratch, pOff, T);
        for (int i = 0; i < T; i++) {
            long row = pOff + (long) i * T;
            int visible = causal ? i + 1 : T;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < visible; j++) {
                max = Math.max(max, scratch.getAtIndex(JAVA_FLOAT, row + j));
            }
            double sum = 0;
            for (int j = 0; j < visible; j++) {
                float e = (float) Math.exp(scratch.getAtIndex(JAVA_FLOAT, row + j) - max);
                scratch.setAtIndex(JAVA_FLOAT, row + j, e);
                sum += e;
            }
            float inverse = (float) (1 / sum);
            for (int j = 0; j < visible; j++) {
                scratch.setAtIndex(JAVA_FLOAT, row + j, scratch.getAtIndex(JAVA_FLOAT, row + j) * inverse);
            }
            for (int j = visible; j < T; j++) {
                scratch.setAtIndex(JAVA_FLOAT, row + j, 0f);
            }
        }
    }

    /** {@code dS = P ⊙ (dP − rowsum(dP ⊙ P))}, in place over {@code dP}; masked entries have {@code P = 0}. */
    private static void softmaxBackward(MemorySegment scratch, long p, long dp, int T) {
        for (int i = 0; i < T; i++) {
            long pRow = p + (long) i * T, dRow = dp + (long) i * T;
            double dot = 0;
            for (int j = 0; j < T; j++) {
                dot += scratch.getAtIndex(JAVA_FLOAT, pRow + j) * scratch.getAtIndex(JAVA_FLOAT, dRow + j);
            }
            for (int j = 0; j < T; j++) {
                float pij = scratch.getAtIndex(JAVA_FLOAT, pRow + j);
                float dpij = scratch.getAtIndex(JAVA_FLOAT, dRow + j);
                scratch.setAtIndex(JAVA_FLOAT, dRow + j, (float) (pij * (dpij - dot)));
            }
        }
    }

    private static void checkHeads(int D, int H) {
        if (H <= 0 || D % H != 0) {
            throw new IllegalArgumentException(H + " heads do not divide " + D + " features");
        }
    }
}
