package dev.residual.runtime.ops;

import dev.residual.runtime.gemm.Gemm;
import java.lang.foreign.MemorySegment;

/**
 * Fully connected layer (PyTorch's {@code Linear}) on feature vectors stored features-by-samples: with the input as
 * the {@code inF×n} matrix, the whole batch is one sgemm {@code out[units×n] = weight[units×inF] · in[inF×n]},
 * the weight in PyTorch's own row-major {@code [out_features, in_features]} order.
 */
public final class Dense {

    private Dense() {}

    /**
     * Forward: {@code out = weight · in (+ bias)}.
     *
     * @param gemm   the matrix-product backend
     * @param in     input features, {@code inF×n}, element {@code (s, f)} at {@code f·n + s} (see
     *               {@link Layout#flatten} and {@link Pooling#globalAveragePool}, which produce it)
     * @param inF    input features
     * @param n      samples in this batch
     * @param weight {@code units×inF}, row-major (PyTorch {@code weight})
     * @param units  output features
     * @param bias   {@code units} floats, or {@code null}
     * @param out    {@code units×n}, element {@code (s, u)} at {@code u·n + s}; must not overlap {@code in} or
     *               {@code weight}
     */
    public static void forward(Gemm gemm, MemorySegment in, long inOff, int inF, int n,
                               MemorySegment weight, long wOff, int units, MemorySegment bias, long bOff,
                               MemorySegment out, long outOff) {
        gemm.sgemm(false, false, units, n, inF, 1f, weight, wOff, inF, in, inOff, n, 0f, out, outOff, n);
        if (bias != null) {
            Elementwise.biasAddRelu(out, outOff, units, 1, n, bias, bOff, null, 0, false, out, outOff);
        }
    }

    // Backward goes here: dWeight = dOut · inᵀ, dBias = row sums of dOut, dIn = weightᵀ · dOut.
}
