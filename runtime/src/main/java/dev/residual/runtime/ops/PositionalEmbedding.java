package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Learned positional embedding: {@code out = in + table[t]} at position {@code t} of every sequence (GPT-2's
 * {@code wpe}). Tensors are feature-major {@code D×(n·T)}: feature {@code d} of position {@code t} of sequence
 * {@code s} at {@code d·n·T + s·T + t}; the table is {@code T×D}, row-major (PyTorch's {@code [T, D]} weight).
 */
public final class PositionalEmbedding {

    private PositionalEmbedding() {}

    /**
     * {@code out[d, s·T + t] = in[d, s·T + t] + table[t, d]}.
     *
     * @param in    {@code D×(n·T)}
     * @param D     features
     * @param T     sequence length
     * @param n     sequences in this batch
     * @param table {@code T×D}
     * @param out   {@code D×(n·T)}; may be {@code in}
     */
    public static void forward(MemorySegment in, long inOff, int D, int T, int n, MemorySegment table, long tOff,
                               MemorySegment out, long outOff) {
        long row = (long) n * T;
        for (int d = 0; d < D; d++) {
            for (int s = 0; s < n; s++) {
                long at = d * row + (long) s * T;
                for (int t = 0; t < T; t++) {
                    float value = in.getAtIndex(JAVA_FLOAT, inOff + at + t)
                            + table.getAtIndex(JAVA_FLOAT, tOff + (long) t * D + d);
                    out.setAtIndex(JAVA_FLOAT, outOff + at + t, value);
                }
            }
        }
    }

    /**
     * {@code dTable[t, d] = Σ_s dOut[d, s·T + t]} (overwritten, summed in double); the input's gradient is
     * {@code dOut} itself, copied or added to {@code dIn}.
     *
     * @param dOut       gradient of the output, {@code D×(n·T)}
     * @param dTable     {@code T×D} floats, overwritten
     * @param dIn        {@code D×(n·T)} floats receiving the input gradient, or {@code null} to skip it
     * @param accumulate for {@code dIn}: {@code false} overwrites it, {@code true} adds to what it holds
     */
    public static void backward(MemorySegment dOut, long dOutOff, int D, int T, int n, MemorySegment dTable,
                                long dtOff, MemorySegment dIn, long dInOff, boolean accumulate) {
        long row = (long) n * T;
        for (int d = 0; d < D; d++) {
            for (int t = 0; t < T; t++) {
                double sum = 0;
                for (int s = 0; s < n; s++) {
                    sum += dOut.getAtIndex(JAVA_FLOAT, dOutOff + d * row + (long) s * T + t);
                }
                dTable.setAtIndex(JAVA_FLOAT, dtOff + (long) t * D + d, (float) sum);
            }
        }
        if (dIn != null) {
            Elementwise.accumulate(dOut, dOutOff, D, T, n, dIn, dInOff, !accumulate);
        }
    }
}
