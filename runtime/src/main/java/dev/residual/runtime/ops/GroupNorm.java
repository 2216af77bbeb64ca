package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Group normalization (PyTorch's {@code GroupNorm(G, C)}): the {@code C} channels are split into {@code G} groups
 * of {@code C/G} consecutive channels, each sample is normalized over each group's {@code (C/G)·hw} values, then
 * scaled and shifted per channel. {@code G = 1} normalizes over the whole sample (with per-channel, not per-feature,
 * scale); {@code G = C} is instance norm.
 *
 * <p>There are no running statistics, so training and inference share this forward.
 */
public final class GroupNorm {

    private GroupNorm() {}

    /**
     * {@code out[s, c, p] = (in[s, c, p] − mean_sg) · rstd_sg · gamma[c] + beta[c]}, {@code g = c / (C/G)}, with
     * the biased variance over the group and {@code rstd_sg = 1 / sqrt(var_sg + eps)}.
     *
     * @param in       input, channel-major {@code C×(n·hw)}
     * @param C        channels, a multiple of {@code groups}
     * @param hw       {@code H·W}, 1 for vectors
     * @param n        samples in this batch
     * @param groups   {@code G}
     * @param gamma    {@code C} scales (PyTorch {@code weight})
     * @param beta     {@code C} shifts (PyTorch {@code bias})
     * @param eps      added to the variance, PyTorch's default 1e-5
     * @param out      {@code C×(n·hw)}; may be {@code in}
     * @param saveMean {@code n·G} floats receiving the means for the backward, index {@code s·G + g} (PyTorch's
     *                 {@code (N, G)} order), or {@code null}
     * @param saveRstd {@code n·G} floats receiving the {@code rstd}s, same order, or {@code null}
     */
    public static void forward(MemorySegment in, long inOff, int C, int hw, int n, int groups,
                               MemorySegment gamma, long gOff, MemorySegment beta, long bOff, float eps,
                               MemorySegment out, long outOff,
                               MemorySegment saveMean, long smOff, MemorySegment saveRstd, long srOff) {
        if (groups < 1 || C % groups != 0) {
            throw new IllegalArgumentException("GroupNorm needs C divisible by groups, got C " + C + ", groups "
                    + groups);
        }
        int perGroup = C / groups;
        long rowStride = (long) n * hw;
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < groups; g++) {
                int c0 = g * perGroup;
                long first = c0 * rowStride + (long) s * hw;
                double mean = SampleStats.mean(in, inOff + first, rowStride, perGroup, hw);
                double rstd = 1 / Math.sqrt(SampleStats.variance(in, inOff + first, rowStride, perGroup, hw, mean)
                        + eps);
                float center = (float) mean;
                if (saveMean != null) {
                    saveMean.setAtIndex(JAVA_FLOAT, smOff + (long) s * groups + g, center);
                }
                if (saveRstd != null) {
                    saveRstd.setAtIndex(JAVA_FLOAT, srOff + (long) s * groups + g, (float) rstd);
                }
                for (int c = c0; c < c0 + perGroup; c++) {
                    // gamma·rstd folded per channel; the mean is still subtracted first to keep small outputs exact.
                    float scale = (float) (gamma.getAtIndex(JAVA_FLOAT, gOff + c) * rstd);
                    float shift = beta.getAtIndex(JAVA_FLOAT, bOff + c);
                    long run = c * rowStride + (long) s * hw;
                    for (int p = 0; p < hw; p++) {
                        float v = (in.getAtIndex(JAVA_FLOAT, inOff + run + p) - center) * scale + shift;
                        out.setAtIndex(JAVA_FLOAT, outOff + run + p, v);
                    }
                }
            }
        }
    }

    /**
     * Backward from the means and {@code rstd}s the forward saved. With {@code x̂ = (in − mean_sg)·rstd_sg} and
     * {@code ĝ = dOut·gamma[c]} over the {@code M = (C/G)·hw} values of each (sample, group):
     * {@code dGamma[c] = Σ dOut·x̂}, {@code dBeta[c] = Σ dOut} over the samples and pixels of channel {@code c}
     * (both overwritten), and {@code dIn = rstd_sg · (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))}; sums in double.
     *
     * @param in         the forward's input, channel-major {@code C×(n·hw)}
     * @param C          channels, a multiple of {@code groups}
     * @param hw         {@code H·W}, 1 for vectors
     * @param n          samples in this batch
     * @param groups     {@code G}
     * @param gamma      {@code C} scales
     * @param saveMean   {@code n·G} means saved by {@link #forward}, index {@code s·G + g}
     * @param saveRstd   {@code n·G} {@code rstd}s saved by {@link #forward}, same order
     * @param dOut       gradient of the output, {@code C×(n·hw)}
     * @param dGamma     {@code C} floats receiving the gradient of {@code gamma} (overwritten), or {@code null}
     * @param dBeta      {@code C} floats receiving the gradient of {@code beta} (overwritten), or {@code null}
     * @param dIn        {@code C×(n·hw)} floats receiving the input gradient, or {@code null} to skip it; may be
     *                   {@code dOut} (in place) when not accumulating, otherwise must not overlap it
     * @param accumulate {@code false} overwrites {@code dIn}, {@code true} adds the gradient to what it holds
     */
    public static void backward(MemorySegment in, long inOff, int C, int hw, int n, int groups,
                                MemorySegment gamma, long gOff,
                                MemorySegment saveMean, long smOff, MemorySegment saveRstd, long srOff,
                                MemorySegment dOut, long dOutOff, MemorySegment dGamma, long dgOff,
                                MemorySegment dBeta, long dbOff, MemorySegment dIn, long dInOff, boolean accumulate) {
        if (groups < 1 || C % groups != 0) {
            throw new IllegalArgumentException("GroupNorm needs C divisible by groups, got C " + C + ", groups "
                    + groups);
        }
        int perGroup = C / groups;
        long rowStride = (long) n * hw;
        // The parameter gradients first, so that dIn may overwrite dOut afterwards.
        if (dGamma != null || dBeta != null) {
            for (int c = 0; c < C; c++) {
                int g = c / perGroup;
                double sumDy = 0, sumDyXhat = 0;
                for (int s = 0; s < n; s++) {
                    long run = c * rowStride + (long) s * hw;
                    long stat = (long) s * groups + g;
                    float center = saveMean.getAtIndex(JAVA_FLOAT, smOff + stat);
                    double runDy = 0, runDyCentered = 0;
                    for (int p = 0; p < hw; p++) {
                        double dy = dOut.getAtIndex(JAVA_FLOAT, dOutOff + run + p);
                        runDy += dy;
                        runDyCentered += dy * (in.getAtIndex(JAVA_FLOAT, inOff + run + p) - center);
                    }
                    sumDy += runDy;
                    sumDyXhat += runDyCentered * saveRstd.getAtIndex(JAVA_FLOAT, srOff + stat);
                }
                if (dGamma != null) {
                    dGamma.setAtIndex(JAVA_FLOAT, dgOff + c, (float) sumDyXhat);
                }
                if (dBeta != null) {
                    dBeta.setAtIndex(JAVA_FLOAT, dbOff + c, (float) sumDy);
                }
            }
        }
        if (dIn == null) {
            return;
        }
        double count = (double) perGroup * hw;
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < groups; g++) {
                long stat = (long) s * groups + g;
                float center = saveMean.getAtIndex(JAVA_FLOAT, smOff + stat);
                double rstd = saveRstd.getAtIndex(JAVA_FLOAT, srOff + stat);
                int c0 = g * perGroup;
                double sumG = 0, sumGCentered = 0;
                for (int c = c0; c < c0 + perGroup; c++) {
                    long run = c * rowStride + (long) s * hw;
                    double runDy = 0, runDyCentered = 0;
                    for (int p = 0; p < hw; p++) {
                        double dy = dOut.getAtIndex(JAVA_FLOAT, dOutOff + run + p);
                        runDy += dy;
                        runDyCentered += dy * (in.getAtIndex(JAVA_FLOAT, inOff + run + p) - center);
                    }
                    double gammaC = gamma.getAtIndex(JAVA_FLOAT, gOff + c);
                    sumG += gammaC * runDy;
                    sumGCentered += gammaC * runDyCentered;
                }
                // dIn = dOut·gamma[c]·rstd + (x − mean)·slope + shift.
                float slope = (float) (-rstd * rstd * rstd * sumGCentered / count);
                float shift = (float) (-rstd * sumG / count);
                for (int c = c0; c < c0 + perGroup; c++) {
                    long run = c * rowStride + (long) s * hw;
                    float scale = (float) (gamma.getAtIndex(JAVA_FLOAT, gOff + c) * rstd);
                    BatchNorm.normBackwardRun(in, inOff + run, center, slope, dOut, dOutOff + run, scale, shift,
                            dIn, dInOff + run, accumulate, hw);
                }
            }
        }
    }
}
