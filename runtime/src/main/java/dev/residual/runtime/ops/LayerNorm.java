package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Layer normalization over all features of each sample, with a scale and shift per feature: PyTorch's
 * {@code LayerNorm([C, H, W])} on a feature map, {@code LayerNorm(F)} on vectors ({@code C = F, hw = 1}).
 *
 * <p>There are no running statistics, so training and inference share this forward. A sample's features are
 * scattered over the channel rows of the channel-major layout ({@code C} runs of {@code hw} floats, one per row). For
 * vectors and the positions of a sequence ({@code hw = 1}) each run is a single float, so reading one sample's
 * features strides by {@code n} floats — by 4 KB for 1,024 positions, which maps every read to the same L1 set:
 * measured 8 ms forward and 12 ms backward for {@code C = 128}, {@code n = 1024}. There the kernels sweep the rows
 * instead, contiguously, keeping one running sum per sample in the {@code saveMean}/{@code saveRstd} arrays (forward)
 * or in a scratch of {@link #backwardScratchFloats} floats (backward).
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
        if (hw == 1 && saveMean != null && saveRstd != null) {
            forwardByRows(in, inOff, C, n, gamma, gOff, beta, bOff, eps, out, outOff, saveMean, smOff, saveRstd, srOff);
            return;
        }
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
        backward(in, inOff, C, hw, n, gamma, gOff, saveMean, smOff, saveRstd, srOff, dOut, dOutOff, dGamma, dgOff,
                dBeta, dbOff, dIn, dInOff, accumulate, null, 0);
    }

    /** Floats of scratch the backward's row sweep needs ({@code hw = 1}): two running sums per sample. */
    public static long backwardScratchFloats(int hw, int n) {
        return hw == 1 ? 2L * n : 0;
    }

    /**
     * {@link #backward(MemorySegment, long, int, int, int, MemorySegment, long, MemorySegment, long, MemorySegment,
     * long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, boolean) backward}
     * with scratch: given {@link #backwardScratchFloats} floats ({@code hw = 1}), the input gradient is computed by
     * contiguous sweeps over the rows instead of strided reads per sample.
     *
     * @param scratch {@link #backwardScratchFloats} floats, or {@code null} to read per sample; must not overlap the
     *                other tensors
     */
    public static void backward(MemorySegment in, long inOff, int C, int hw, int n, MemorySegment gamma, long gOff,
                                MemorySegment saveMean, long smOff, MemorySegment saveRstd, long srOff,
                                MemorySegment dOut, long dOutOff, MemorySegment dGamma, long dgOff,
                                MemorySegment dBeta, long dbOff, MemorySegment dIn, long dInOff, boolean accumulate,
                                MemorySegment scratch, long sOff) {
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
        if (hw == 1 && scratch != null) {
            inputGradientByRows(in, inOff, C, n, gamma, gOff, saveMean, smOff, saveRstd, srOff, dOut, dOutOff, dIn,
                    dInOff, accumulate, scratch, sOff);
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

    /**
     * The forward for {@code hw = 1}, one contiguous sweep over the {@code C} rows per pass, a running sum per sample
     * ({@code n} columns) in {@code saveMean}/{@code saveRstd}: the sum (a first mean {@code m}), the sum of
     * {@code x − m} (its correction: summing the centred values loses only digits of the spread, not of the mean),
     * the sum of squared deviations from the corrected mean, then the output. Float sums of centred values err by
     * about {@code √C·2⁻²⁴} of the spread — the double sums of the per-sample path would round to the same floats.
     */
    private static void forwardByRows(MemorySegment in, long inOff, int C, int n, MemorySegment gamma, long gOff,
                                      MemorySegment beta, long bOff, float eps, MemorySegment out, long outOff,
                                      MemorySegment mean, long mOff, MemorySegment rstd, long rOff) {
        float inverse = 1f / C;
        fill(mean, mOff, n, 0f);
        for (int c = 0; c < C; c++) {
            long row = inOff + (long) c * n;
            for (int s = 0; s < n; s++) {
                mean.setAtIndex(JAVA_FLOAT, mOff + s, mean.getAtIndex(JAVA_FLOAT, mOff + s)
                        + in.getAtIndex(JAVA_FLOAT, row + s));
            }
        }
        scale(mean, mOff, n, inverse);
        sumOfDeviations(in, inOff, C, n, mean, mOff, rstd, rOff, false);
        for (int s = 0; s < n; s++) {
            mean.setAtIndex(JAVA_FLOAT, mOff + s, mean.getAtIndex(JAVA_FLOAT, mOff + s)
                    + rstd.getAtIndex(JAVA_FLOAT, rOff + s) * inverse);
        }
        sumOfDeviations(in, inOff, C, n, mean, mOff, rstd, rOff, true);
        for (int s = 0; s < n; s++) {
            double variance = rstd.getAtIndex(JAVA_FLOAT, rOff + s) * (double) inverse;
            rstd.setAtIndex(JAVA_FLOAT, rOff + s, (float) (1 / Math.sqrt(variance + eps)));
        }
        for (int c = 0; c < C; c++) {
            long x = inOff + (long) c * n, y = outOff + (long) c * n;
            float g = gamma.getAtIndex(JAVA_FLOAT, gOff + c), b = beta.getAtIndex(JAVA_FLOAT, bOff + c);
            for (int s = 0; s < n; s++) {
                float normalized = (in.getAtIndex(JAVA_FLOAT, x + s) - mean.getAtIndex(JAVA_FLOAT, mOff + s))
                        * rstd.getAtIndex(JAVA_FLOAT, rOff + s);
                out.setAtIndex(JAVA_FLOAT, y + s, normalized * g + b);
            }
        }
    }

    /** {@code sums[s] = Σ_c (x[c, s] − mean[s])}, squared when asked, row by row. */
    private static void sumOfDeviations(MemorySegment in, long inOff, int C, int n, MemorySegment mean, long mOff,
                                        MemorySegment sums, long sumOff, boolean squared) {
        fill(sums, sumOff, n, 0f);
        for (int c = 0; c < C; c++) {
            long row = inOff + (long) c * n;
            for (int s = 0; s < n; s++) {
                float d = in.getAtIndex(JAVA_FLOAT, row + s) - mean.getAtIndex(JAVA_FLOAT, mOff + s);
                sums.setAtIndex(JAVA_FLOAT, sumOff + s, sums.getAtIndex(JAVA_FLOAT, sumOff + s) + (squared ? d * d : d));
            }
        }
    }

    /**
     * The input gradient for {@code hw = 1} by row sweeps: per sample {@code Σ ĝ} and {@code Σ ĝ·x̂} into the
     * scratch, turned into the {@code shift} and {@code slope} of {@code dIn = ĝ·rstd + x̂·slope + shift}, then one
     * more sweep writes {@code dIn} (element by element, so {@code dIn} may be {@code dOut}).
     */
    private static void inputGradientByRows(MemorySegment in, long inOff, int C, int n, MemorySegment gamma,
                                            long gOff, MemorySegment mean, long mOff, MemorySegment rstd, long rOff,
                                            MemorySegment dOut, long dOutOff, MemorySegment dIn, long dInOff,
                                            boolean accumulate, MemorySegment scratch, long sOff) {
        long sumG = sOff, sumGXhat = sOff + n;
        fill(scratch, sOff, 2 * n, 0f);
        for (int c = 0; c < C; c++) {
            long row = (long) c * n;
            float g = gamma.getAtIndex(JAVA_FLOAT, gOff + c);
            for (int s = 0; s < n; s++) {
                float gradient = dOut.getAtIndex(JAVA_FLOAT, dOutOff + row + s) * g;
                float xhat = (in.getAtIndex(JAVA_FLOAT, inOff + row + s) - mean.getAtIndex(JAVA_FLOAT, mOff + s))
                        * rstd.getAtIndex(JAVA_FLOAT, rOff + s);
                scratch.setAtIndex(JAVA_FLOAT, sumG + s, scratch.getAtIndex(JAVA_FLOAT, sumG + s) + gradient);
                scratch.setAtIndex(JAVA_FLOAT, sumGXhat + s,
                        scratch.getAtIndex(JAVA_FLOAT, sumGXhat + s) + gradient * xhat);
            }
        }
        // slope (per unit of x̂) = −rstd·mean(ĝ·x̂), shift = −rstd·mean(ĝ), in place of the sums
        for (int s = 0; s < n; s++) {
            float r = rstd.getAtIndex(JAVA_FLOAT, rOff + s);
            scratch.setAtIndex(JAVA_FLOAT, sumG + s, -r * scratch.getAtIndex(JAVA_FLOAT, sumG + s) / C);
            scratch.setAtIndex(JAVA_FLOAT, sumGXhat + s, -r * scratch.getAtIndex(JAVA_FLOAT, sumGXhat + s) / C);
        }
        for (int c = 0; c < C; c++) {
            long row = (long) c * n;
            float g = gamma.getAtIndex(JAVA_FLOAT, gOff + c);
            for (int s = 0; s < n; s++) {
                float r = rstd.getAtIndex(JAVA_FLOAT, rOff + s);
                float xhat = (in.getAtIndex(JAVA_FLOAT, inOff + row + s) - mean.getAtIndex(JAVA_FLOAT, mOff + s)) * r;
                float v = dOut.getAtIndex(JAVA_FLOAT, dOutOff + row + s) * g * r
                        + xhat * scratch.getAtIndex(JAVA_FLOAT, sumGXhat + s) + scratch.getAtIndex(JAVA_FLOAT, sumG + s);
                long d = dInOff + row + s;
                dIn.setAtIndex(JAVA_FLOAT, d, accumulate ? dIn.getAtIndex(JAVA_FLOAT, d) + v : v);
            }
        }
    }

    private static void fill(MemorySegment segment, long offset, long count, float value) {
        for (long i = offset, end = offset + count; i < end; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, value);
        }
    }

    private static void scale(MemorySegment segment, long offset, long count, float factor) {
        for (long i = offset, end = offset + count; i < end; i++) {
            segment.setAtIndex(JAVA_FLOAT, i, segment.getAtIndex(JAVA_FLOAT, i) * factor);
        }
    }
}
