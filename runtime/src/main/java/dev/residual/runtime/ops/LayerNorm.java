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

    // Backward goes here, from the saved mean and rstd: dIn = rstd · (dXhat − mean(dXhat) − xhat · mean(dXhat · xhat))
    // per sample, dGamma = Σ_s dOut · xhat, dBeta = Σ_s dOut.
}
