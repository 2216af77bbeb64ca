package dev.residual.runtime.data;

import java.util.Arrays;

/** The one check that an epoch's order is a permutation, behind {@link Batches} and {@link OrderFile}. */
final class Permutation {

    private Permutation() {}

    /** Words of a {@code seen} set for {@code n} indices. */
    static long[] seenSet(int n) {
        return new long[(n + 63) / 64];
    }

    /**
     * The first position {@code i} in {@code order[from, from + n)} whose index is outside {@code 0 … n-1} or already
     * came earlier in that range, or -1 when the range is a permutation. Allocates nothing.
     *
     * @param seen {@link #seenSet(int) seenSet(n)} words, cleared here
     */
    static int firstBreak(int[] order, int from, int n, long[] seen) {
        Arrays.fill(seen, 0L);
        for (int i = 0; i < n; i++) {
            int index = order[from + i];
            if (index < 0 || index >= n || (seen[index >>> 6] & (1L << index)) != 0) {
                return i;
            }
            seen[index >>> 6] |= 1L << index;
        }
        return -1;
    }
}
