package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Token embedding (PyTorch's {@code nn.Embedding}): position {@code p} of the batch holds a token id, and its output
 * column is row {@code id} of the {@code V×D} table. Ids arrive as floats (the model input is a float tensor); each
 * must be a whole number in {@code [0, V)}, else the forward throws before writing anything wrong.
 *
 * <p>Layout: the {@code positions} ids are one contiguous row; the output is feature-major {@code D×positions}
 * (feature {@code d} of position {@code p} at {@code d·positions + p}), the layout every per-position kernel reads.
 */
public final class Embedding {

    private Embedding() {}

    /**
     * {@code out[d, p] = table[ids[p], d]}.
     *
     * @param ids       {@code positions} token ids
     * @param positions sequences × their length
     * @param table     {@code V×D}, row-major (PyTorch {@code weight})
     * @param V         vocabulary size
     * @param D         features per token
     * @param out       {@code D×positions}
     * @throws IllegalArgumentException naming the position of an id that is not a whole number in {@code [0, V)}
     */
    public static void forward(MemorySegment ids, long idsOff, int positions, MemorySegment table, long tOff, int V,
                               int D, MemorySegment out, long outOff) {
        for (int p = 0; p < positions; p++) {
            int id = id(ids, idsOff, p, V);
            long row = tOff + (long) id * D;
            for (int d = 0; d < D; d++) {
                out.setAtIndex(JAVA_FLOAT, outOff + (long) d * positions + p, table.getAtIndex(JAVA_FLOAT, row + d));
            }
        }
    }

    /**
     * {@code dTable[v, d] = Σ_{p: ids[p] = v} dOut[d, p]}, overwritten (rows of unused tokens become 0). The ids have
     * no gradient.
     *
     * @param dOut   gradient of the output, {@code D×positions}
     * @param dTable {@code V×D} floats, overwritten
     */
    public static void backward(MemorySegment ids, long idsOff, int positions, int V, int D,
                                MemorySegment dOut, long dOutOff, MemorySegment dTable, long dtOff) {
        // a loop, not asSlice(…).fill: the slice is an object, and a training step allocates nothing
        for (long i = 0, size = (long) V * D; i < size; i++) {
            dTable.setAtIndex(JAVA_FLOAT, dtOff + i, 0f);
        }
        for (int p = 0; p < positions; p++) {
            long row = dtOff + (long) id(ids, idsOff, p, V) * D;
            for (int d = 0; d < D; d++) {
                float sum = dTable.getAtIndex(JAVA_FLOAT, row + d)
                        + dOut.getAtIndex(JAVA_FLOAT, dOutOff + (long) d * positions + p);
                dTable.setAtIndex(JAVA_FLOAT, row + d, sum);
            }
        }
    }

    private static int id(MemorySegment ids, long idsOff, int p, int V) {
        float value = ids.getAtIndex(JAVA_FLOAT, idsOff + p);
        int id = (int) value;
        if (id != value || id < 0 || id >= V) {
            throw new IllegalArgumentException("token id " + value + " at position " + p
                    + " is not a whole number in [0, " + V + ")");
        }
        return id;
    }
}
