package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Mean and variance of one sample's slice of a channel-major tensor: {@code rows} channel rows, each contributing
 * its run of {@code hw} contiguous floats at {@code first + r·rowStride}. Layer and group norm both reduce over such
 * slices.
 *
 * <p>Two passes (mean, then the mean squared deviation) in double: the one-pass {@code E[x²] − E[x]²} loses every
 * digit when the mean is large next to the spread, and the second pass reads memory the first just brought into
 * cache. Returning one double per call keeps the helpers allocation-free.
 */
final class SampleStats {

    private SampleStats() {}

    static double mean(MemorySegment in, long first, long rowStride, int rows, int hw) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            long run = first + r * rowStride;
            for (int p = 0; p < hw; p++) {
                sum += in.getAtIndex(JAVA_FLOAT, run + p);
            }
        }
        return sum / ((double) rows * hw);
    }

    /** The biased variance (divided by the count, as PyTorch's layer and group norm use). */
    static double variance(MemorySegment in, long first, long rowStride, int rows, int hw, double mean) {
        double sum = 0;
        for (int r = 0; r < rows; r++) {
            long run = first + r * rowStride;
            for (int p = 0; p < hw; p++) {
                double d = in.getAtIndex(JAVA_FLOAT, run + p) - mean;
                sum += d * d;
            }
        }
        return sum / ((double) rows * hw);
    }
}
