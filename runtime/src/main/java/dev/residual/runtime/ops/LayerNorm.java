package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Layer normalization over all features of each sample, with a scale and shift per feature: PyTorch's
 * {@code LayerNorm([C, H, W])} on a feature map, {@code LayerNorm(F)} on vectors ({@code C = F, hw = 1}).
 *
 * <p>There are no running statistics, so training and inference share this forward. A sample's features are
 * scattered over the channel rows of the channel-major layout ({@code C} runs of {@code hw} floats, one per row); for
 * vectors each run is a single float and the reads stride by {@code n}.
 */
public final class LayerNorm {

    private LayerNorm() {}

    /**
     * {@code out[s, f] = (in[s, f] − mean_s) · rstd_s · gamma[f] + beta[f]} with {@code mean_s} and the biased
     * variance {@code var_s} over the {@code C·hw} features of sample {@code s} and
     * {@code rstd_s = 1 / sqrt(var_s + eps)}. Feature {@code f = c·hw + p} (PyTorch's order of a {@code [C, H, W]}
     * normalized shape).
     *
     * @param in       input, channel-major {@code C×(n·hw)}
     * @param C        channels (features for vectors)
     * @param hw       {@code H·W}, 1 for vectors
     * @param n        samples in this batch
     * @param gamma    {@code C·hw} scales (PyTorch {@code weight}), index {@code c·hw + p}
     * @param beta     {@code C·hw} shifts (PyTorch {@code bias})
     * @param eps      added to the variance, PyTorch's default 1e-5
     * @param out      {@code C×(n·hw)}; may be {@code in}
     * @param saveMean {@code n} floats receiving each sample's mean for the backward, or {@code null}
     * @param saveRstd {@code n} floats receiving each sample's {@code rstd}, or {@code null}
     */
    public static void forward(MemorySegment in, long inOff, int C, int hw, int n,
                               MemorySegment gamma, long gOff, MemorySegment beta, long bOff, float eps,
                               MemorySegment out, long outOff,
                               MemorySegment saveMean, long smOff, MemorySegment saveRstd, long srOff) {
        long rowStride = (long) n * hw;
        for (int s = 0; s < n; s++) {
            long first = (long) s * hw;
            double mean = SampleStats.mean(in, inOff + first, rowStride, C, hw);
            double rstd = 1 / Math.sqrt(SampleStats.variance(in, inOff + first, rowStride, C, hw, mean) + eps);
            float center = (float) mean, scale = (float) rstd;
            if (saveMean != null) {
                saveMean.setAtIndex(JAVA_FLOAT, smOff + s, center);
            }
            if (saveRstd != null) {
                saveRstd.setAtIndex(JAVA_FLOAT, srOff + s, scale);
            }
            for (int c = 0; c < C; c++) {
                long x = inOff + c * rowStride + first, y = outOff + c * rowStride + first;
                long g = gOff + (long) c * hw, b = bOff + (long) c * hw;
                for (int p = 0; p < hw; p++) {
                    float normalized = (in.getAtIndex(JAVA_FLOAT, x + p) - center) * scale;
                    out.setAtIndex(JAVA_FLOAT, y + p, normalized * gamma.getAtIndex(JAVA_FLOAT, g + p)
                            + beta.getAtIndex(JAVA_FLOAT, b + p));
                }
            }
        }
    }

    /**
     * Backward from the mean and {@code rstd} the forward saved. With {@code x̂ = (in − mean_s)·rstd_s} and
     * {@code ĝ = dOut·gamma} over the {@code M = C·hw} features of each sample:
     * {@code dGamma[f] = Σ_s dOut·x̂}, {@code dBeta[f] = Σ_s dOut} (both overwritten), and
     * {@code dIn = rstd_s · (ĝ − mean_f(ĝ) − x̂·mean_f(ĝ·x̂))}; sums in double.
     *
     * @param in         the forward's input, channel-major {@code C×(n·hw)}
     * @param C          channels (features for vectors)
     * @param hw         {@code H·W}, 1 for vectors
     * @param n          samples in this batch
     * @param gamma      {@code C·hw} scales, index {@code c·hw + p}
     * @param saveMean   {@code n} sample means saved by {@link #forward}
     * @param saveRstd   {@code n} sample {@code rstd}s saved by {@link #forward}
     * @param dOut       gradient of the output, {@code C×(n·hw)}
     * @param dGamma     {@code C·hw} floats receiving the gradient of {@code gamma} (overwritten), or {@code null}
     * @param dBeta      {@code C·hw} floats receiving the gradient of {@code beta} (overwritten), or {@code null}
     * @param dIn        {@code C×(n·hw)} floats receiving the input gradient, or {@code null} to skip it; may be
     *                   {@code dOut} (in place) when not accumulating, otherwise must not overlap it
     * @param accumulate {@code false} overwrites {@code dIn}, {@code true} adds the gradient to what it holds
     */
    public static void backward(MemorySegment in, long inOff, int C, int hw, int n, MemorySegment gamma, long gOff,
                                MemorySegment saveMean, long smOff, MemorySegment saveRstd, long srOff,
                                MemorySegment dOut, long dOutOff, MemorySegment dGamma, long dgOff,
                                MemorySegment dBeta, long dbOff, MemorySegment dIn, long dInOff, boolean accumulate) {
        long rowStride = (long) n * hw;
        // The parameter gradients first, so that dIn may overwrite dOut afterwards.
        if (dGamma != null || dBeta != null) {
            for (int c = 0; c < C; c++) {
                long row = c * rowStride;
                for (int p = 0; p < hw; p++) {
                    double sumDy = 0, sumDyXhat = 0;
                    for (int s = 0; s < n; s++) {
                        long at = row + (long) s * hw + p;
                        double dy = dOut.getAtIndex(JAVA_FLOAT, dOutOff + at);
                        float center = saveMean.getAtIndex(JAVA_FLOAT, smOff + s);
                        sumDy += dy;
                        sumDyXhat += dy * (in.getAtIndex(JAVA_FLOAT, inOff + at) - center)
                                * saveRstd.getAtIndex(JAVA_FLOAT, srOff + s);
                    }
                    long f = (long) c * hw + p;
                    if (dGamma != null) {
                        dGamma.setAtIndex(JAVA_FLOAT, dgOff + f, (float) sumDyXhat);
                    }
                    if (dBeta != null) {
                        dBeta.setAtIndex(JAVA_FLOAT, dbOff + f, (float) sumDy);
                    }
                }
            }
        }
        if (dIn == null) {
            return;
        }
        double features = (double) C * hw;
        for (int s = 0; s < n; s++) {
            long first = (long) s * hw;
            float center = saveMean.getAtIndex(JAVA_FLOAT, smOff + s);
            double rstd = saveRstd.getAtIndex(JAVA_FLOAT, srOff + s);
            double sumG = 0, sumGCentered = 0;
            for (int c = 0; c < C; c++) {
                long run = c * rowStride + first, gr = gOff + (long) c * hw;
                for (int p = 0; p < hw; p++) {
                    double g = (double) dOut.getAtIndex(JAVA_FLOAT, dOutOff + run + p)
                            * gamma.getAtIndex(JAVA_FLOAT, gr + p);
                    sumG += g;
                    sumGCentered += g * (in.getAtIndex(JAVA_FLOAT, inOff + run + p) - center);
                }
            }
            // dIn = dOut·gamma·rstd + (x − mean)·slope + shift.
            float scale = (float) rstd;
            float slope = (float) (-rstd * rstd * rstd * sumGCentered / features);
            float shift = (float) (-rstd * sumG / features);
            for (int c = 0; c < C; c++) {
                long run = c * rowStride + first, gr = gOff + (long) c * hw;
                long x = inOff + run, g = dOutOff + run, d = dInOff + run;
                if (accumulate) {
                    for (int p = 0; p < hw; p++) {
                        float v = dOut.getAtIndex(JAVA_FLOAT, g + p) * gamma.getAtIndex(JAVA_FLOAT, gr + p) * scale
                                + (in.getAtIndex(JAVA_FLOAT, x + p) - center) * slope + shift;
                        dIn.setAtIndex(JAVA_FLOAT, d + p, dIn.getAtIndex(JAVA_FLOAT, d + p) + v);
                    }
                } else {
                    for (int p = 0; p < hw; p++) {
                        float v = dOut.getAtIndex(JAVA_FLOAT, g + p) * gamma.getAtIndex(JAVA_FLOAT, gr + p) * scale
                                + (in.getAtIndex(JAVA_FLOAT, x + p) - center) * slope + shift;
                        dIn.setAtIndex(JAVA_FLOAT, d + p, v);
                    }
                }
            }
        }
    }
}
