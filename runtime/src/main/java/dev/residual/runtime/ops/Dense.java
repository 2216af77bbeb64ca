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

    /**
     * Backward: {@code dWeight = dOut · inᵀ} and {@code dBias = } the row sums of {@code dOut}, both overwritten, and
     * {@code dIn = weightᵀ · dOut}, written or added (GEMM {@code beta} 0 or 1). Each gradient may be {@code null} to
     * skip its work.
     *
     * @param gemm       the matrix-product backend
     * @param in         the forward's input features, {@code inF×n}, element {@code (s, f)} at {@code f·n + s}
     * @param inF        input features
     * @param n          samples in this batch
     * @param weight     {@code units×inF}, row-major (PyTorch {@code weight})
     * @param units      output features
     * @param dOut       gradient of the output, {@code units×n}, element {@code (s, u)} at {@code u·n + s}
     * @param dWeight    {@code units×inF} floats receiving the weight gradient (overwritten), or {@code null}
     * @param dBias      {@code units} floats receiving the bias gradient (overwritten), or {@code null} (no bias)
     * @param dIn        {@code inF×n} floats receiving the input gradient, or {@code null} to skip it; must not
     *                   overlap {@code dOut} or {@code weight}
     * @param accumulate for {@code dIn}: {@code false} overwrites it, {@code true} adds the gradient to what it holds
     */
    public static void backward(Gemm gemm, MemorySegment in, long inOff, int inF, int n,
                                MemorySegment weight, long wOff, int units, MemorySegment dOut, long dOutOff,
                                MemorySegment dWeight, long dwOff, MemorySegment dBias, long dbOff,
                                MemorySegment dIn, long dInOff, boolean accumulate) {
        if (dWeight != null) {
            gemm.sgemm(false, true, units, inF, n, 1f, dOut, dOutOff, n, in, inOff, n, 0f, dWeight, dwOff, inF);
        }
        if (dBias != null) {
            Elementwise.biasGradient(dOut, dOutOff, units, 1, n, dBias, dbOff);
        }
        if (dIn != null) {
            gemm.sgemm(true, false, inF, n, units, 1f, weight, wOff, inF, dOut, dOutOff, n,
                    accumulate ? 1f : 0f, dIn, dInOff, n);
        }
    }
}
