package dev.residual.runtime.ops;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Batch normalization (PyTorch's {@code BatchNorm2d}, and {@code BatchNorm1d} on vectors with {@code hw = 1}).
 *
 * <p>In the channel-major layout a channel is one contiguous row of {@code n·hw} floats, so normalizing it is a
 * single scale-and-shift over contiguous memory; the residual add and the ReLU that follow a norm in a residual
 * block ride along in the same pass instead of reading the activations two more times.
 */
public final class BatchNorm {

    private BatchNorm() {}

    /**
     * Inference forward with the running statistics, fused with an optional residual add and ReLU:
     * {@code out = relu?((in − mean[c]) · gamma[c] / sqrt(var[c] + eps) + beta[c] + residual)}.
     *
     * @param in       input, channel-major {@code C×(n·hw)}
     * @param C        channels
     * @param hw       {@code H·W}, 1 for vectors
     * @param n        samples in this batch
     * @param gamma    {@code C} scales (PyTorch {@code weight})
     * @param beta     {@code C} shifts (PyTorch {@code bias})
     * @param mean     {@code C} running means
     * @param var      {@code C} running (unbiased, as PyTorch keeps them) variances
     * @param eps      added to the variance, PyTorch's default 1e-5
     * @param residual {@code C×(n·hw)} added after the norm, or {@code null}
     * @param relu     whether to clamp negative results to 0 (after the residual add)
     * @param out      {@code C×(n·hw)}; may be {@code in} or {@code residual} (in place)
     */
    public static void inference(MemorySegment in, long inOff, int C, int hw, int n,
                                 MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                 MemorySegment mean, long mOff, MemorySegment var, long vOff, float eps,
                                 MemorySegment residual, long rOff, boolean relu,
                                 MemorySegment out, long outOff) {
        Inference task = INFERENCE.get();
        task.in = in; task.inOff = inOff; task.length = n * hw;
        task.gamma = gamma; task.gOff = gOff; task.beta = beta; task.bOff = bOff;
        task.mean = mean; task.mOff = mOff; task.var = var; task.vOff = vOff; task.eps = eps;
        task.residual = residual; task.rOff = rOff; task.relu = relu; task.out = out; task.outOff = outOff;
        task.runOverChannels(C, 3L * n * hw);
    }

    private static final ThreadLocal<Inference> INFERENCE = ThreadLocal.withInitial(Inference::new);

    /** Whether the row loops below run as {@link VectorRows} (the same results, bit for bit) or as scalar loops. */
    static final boolean VECTOR_ROWS = DirectConv2d.vectorsOn();

    /** {@link #inference}'s arguments and its work on a range of channels. */
    private static final class Inference extends ChannelRange {
        MemorySegment in, gamma, beta, mean, var, residual, out;
        long inOff, gOff, bOff, mOff, vOff, rOff, outOff;
        int length;
        float eps;
        boolean relu;

        @Override
        void run(int from, int to) {
            for (int c = from; c < to; c++) {
                // The per-channel factor in double so that 1/sqrt rounds once.
                float scale = (float) (gamma.getAtIndex(JAVA_FLOAT, gOff + c)
                        / Math.sqrt((double) var.getAtIndex(JAVA_FLOAT, vOff + c) + eps));
                float center = mean.getAtIndex(JAVA_FLOAT, mOff + c);
                float shift = beta.getAtIndex(JAVA_FLOAT, bOff + c);
                long row = (long) c * length;
                normalizeRow(in, inOff + row, center, scale, shift, residual, rOff + row, relu, out, outOff + row,
                        length);
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, in, gamma, beta, mean) && accessible(thread, var, residual, out, null);
        }

        @Override
        void clear() {
            in = gamma = beta = mean = var = residual = out = null;
        }
    }

    /**
     * {@code out = relu?((in − center)·scale + shift (+ residual))} over one row. Subtracting the mean first (rather
     * than folding it into the shift) keeps outputs near 0 accurate: {@code in − center} is exact when the two are
     * close. The four variants keep the branches out of the loops so each body vectorizes.
     */
    static void normalizeRow(MemorySegment in, long x, float center, float scale, float shift,
                             MemorySegment residual, long r, boolean relu, MemorySegment out, long y, int length) {
        if (VECTOR_ROWS) {
            VectorRows.normalize(in, x, center, scale, shift, residual, r, relu, out, y, length);
            return;
        }
        if (residual == null) {
            if (relu) {
                for (int i = 0; i < length; i++) {
                    float v = (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift;
                    out.setAtIndex(JAVA_FLOAT, y + i, Math.max(v, 0f));
                }
            } else {
                for (int i = 0; i < length; i++) {
                    out.setAtIndex(JAVA_FLOAT, y + i, (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift);
                }
            }
        } else {
            if (relu) {
                for (int i = 0; i < length; i++) {
                    float v = (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift
                            + residual.getAtIndex(JAVA_FLOAT, r + i);
                    out.setAtIndex(JAVA_FLOAT, y + i, Math.max(v, 0f));
                }
            } else {
                for (int i = 0; i < length; i++) {
                    float v = (in.getAtIndex(JAVA_FLOAT, x + i) - center) * scale + shift
                            + residual.getAtIndex(JAVA_FLOAT, r + i);
                    out.setAtIndex(JAVA_FLOAT, y + i, v);
                }
            }
        }
    }

    /**
     * Training forward with the batch statistics, fused with an optional residual add and ReLU like
     * {@link #inference}. For each channel, over its {@code M = n·hw} values: the mean and the biased variance
     * (two passes in double), {@code rstd = 1/sqrt(var + eps)}, then
     * {@code out = relu?((in − mean)·rstd·gamma + beta + residual)}. The running statistics are updated as PyTorch
     * does with the unbiased variance: {@code runningMean = (1 − momentum)·runningMean + momentum·mean},
     * {@code runningVar = (1 − momentum)·runningVar + momentum·var·M/(M − 1)}.
     *
     * @param in          input, channel-major {@code C×(n·hw)}
     * @param C           channels
     * @param hw          {@code H·W}, 1 for vectors
     * @param n           samples in this batch; {@code n·hw} must be at least 2, as PyTorch requires in training
     * @param gamma       {@code C} scales (PyTorch {@code weight})
     * @param beta        {@code C} shifts (PyTorch {@code bias})
     * @param runningMean {@code C} running means, updated in place, or {@code null} (with {@code runningVar}) to
     *                    leave no running statistics ({@code track_running_stats=False})
     * @param runningVar  {@code C} running variances, updated in place, or {@code null}
     * @param momentum    weight of the batch statistics in the update, PyTorch's default 0.1
     * @param eps         added to the variance, PyTorch's default 1e-5
     * @param saveMean    {@code C} floats receiving each channel's batch mean for {@link #backward}
     * @param saveRstd    {@code C} floats receiving each channel's {@code rstd} for {@link #backward}
     * @param residual    {@code C×(n·hw)} added after the norm, or {@code null}
     * @param relu        whether to clamp negative results to 0 (after the residual add)
     * @param out         {@code C×(n·hw)}; may be {@code in} or {@code residual} (in place), though {@link #backward}
     *                    needs {@code in} as it was
     * @throws IllegalArgumentException when {@code n·hw < 2}
     */
    public static void trainingForward(MemorySegment in, long inOff, int C, int hw, int n,
                                       MemorySegment gamma, long gOff, MemorySegment beta, long bOff,
                                       MemorySegment runningMean, long rmOff, MemorySegment runningVar, long rvOff,
                                       float momentum, float eps,
                                       MemorySegment saveMean, long smOff, MemorySegment saveRstd, long srOff,
                                       MemorySegment residual, long rOff, boolean relu,
                                       MemorySegment out, long outOff) {
        int length = n * hw;
        if (length < 2) {
            throw new IllegalArgumentException("training batch norm needs more than one value per channel, got n "
                    + n + " × hw " + hw);
        }
        TrainingForward task = TRAINING_FORWARD.get();
        task.in = in; task.inOff = inOff; task.length = length;
        task.gamma = gamma; task.gOff = gOff; task.beta = beta; task.bOff = bOff;
        task.runningMean = runningMean; task.rmOff = rmOff; task.runningVar = runningVar; task.rvOff = rvOff;
        task.momentum = momentum; task.eps = eps;
        task.saveMean = saveMean; task.smOff = smOff; task.saveRstd = saveRstd; task.srOff = srOff;
        task.residual = residual; task.rOff = rOff; task.relu = relu; task.out = out; task.outOff = outOff;
        task.runOverChannels(C, 4L * length);
    }

    private static final ThreadLocal<TrainingForward> TRAINING_FORWARD = ThreadLocal.withInitial(TrainingForward::new);

    /** {@link #trainingForward}'s arguments and its work on a range of channels. */
    private static final class TrainingForward extends ChannelRange {
        MemorySegment in, gamma, beta, runningMean, runningVar, saveMean, saveRstd, residual, out;
        long inOff, gOff, bOff, rmOff, rvOff, smOff, srOff, rOff, outOff;
        int length;
        float momentum, eps;
        boolean relu;

        @Override
        void run(int from, int to) {
            for (int c = from; c < to; c++) {
                channel(c);
            }
        }

        private void channel(int c) {
            long row = (long) c * length;
            double mean = SampleStats.mean(in, inOff + row, 0, 1, length);
            double var = SampleStats.variance(in, inOff + row, 0, 1, length, mean);
            double rstd = 1 / Math.sqrt(var + eps);
            saveMean.setAtIndex(JAVA_FLOAT, smOff + c, (float) mean);
            saveRstd.setAtIndex(JAVA_FLOAT, srOff + c, (float) rstd);
            if (runningMean != null) {
                double m = momentum;
                long rm = rmOff + c, rv = rvOff + c;
                runningMean.setAtIndex(JAVA_FLOAT, rm,
                        (float) ((1 - m) * runningMean.getAtIndex(JAVA_FLOAT, rm) + m * mean));
                double unbiased = var * length / (length - 1);
                runningVar.setAtIndex(JAVA_FLOAT, rv,
                        (float) ((1 - m) * runningVar.getAtIndex(JAVA_FLOAT, rv) + m * unbiased));
            }
            // The mean rounded to float, with what rounding dropped folded into the shift: x − center is exact for
            // x near the mean, so the output stays accurate even when the mean is large next to the spread.
            float center = (float) mean;
            double k = gamma.getAtIndex(JAVA_FLOAT, gOff + c) * rstd;
            float scale = (float) k;
            float shift = (float) (beta.getAtIndex(JAVA_FLOAT, bOff + c) - (mean - center) * k);
            normalizeRow(in, inOff + row, center, scale, shift, residual, rOff + row, relu, out, outOff + row, length);
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, in, gamma, beta, runningMean) && accessible(thread, runningVar, saveMean,
                    saveRstd, residual) && accessible(thread, out, null, null, null);
        }

        @Override
        void clear() {
            in = gamma = beta = runningMean = runningVar = saveMean = saveRstd = residual = out = null;
        }
    }

    /**
     * Training backward through the batch statistics, from the mean and {@code rstd} {@link #trainingForward} saved.
     * Per channel, with {@code x̂ = (x − mean)·rstd} and {@code M = n·hw}:
     * {@code dBeta = Σ dOut}, {@code dGamma = Σ dOut·x̂}, and
     * {@code dIn = gamma·rstd/M · (M·dOut − Σ dOut − x̂·Σ dOut·x̂)}, the sums in double.
     *
     * <p>{@code dOut} is the gradient of the norm's own output. A fused residual add and ReLU are undone either first,
     * with {@link Activations#reluBackward} and {@link Elementwise#accumulate}, or inside this kernel by
     * {@link #backwardThroughAdd}.
     *
     * @param in         the forward's input, channel-major {@code C×(n·hw)}
     * @param C          channels
     * @param hw         {@code H·W}, 1 for vectors
     * @param n          samples in this batch
     * @param gamma      {@code C} scales
     * @param saveMean   {@code C} batch means saved by the forward
     * @param saveRstd   {@code C} values {@code 1/sqrt(var + eps)} saved by the forward
     * @param dOut       gradient of the norm's output, {@code C×(n·hw)}
     * @param dGamma     {@code C} floats receiving the gradient of {@code gamma} (overwritten), or {@code null}
     * @param dBeta      {@code C} floats receiving the gradient of {@code beta} (overwritten), or {@code null}
     * @param dIn        {@code C×(n·hw)} floats receiving the input gradient, or {@code null} to skip it; may be
     *                   {@code dOut} (in place) when not accumulating, otherwise must not overlap it
     * @param accumulate {@code false} overwrites {@code dIn}, {@code true} adds the gradient to what it holds
     */
    public static void backward(MemorySegment in, long inOff, int C, int hw, int n, MemorySegment gamma, long gOff,
                                MemorySegment saveMean, long smOff, MemorySegment saveRstd, long srOff,
                                MemorySegment dOut, long dOutOff, MemorySegment dGamma, long dgOff,
                                MemorySegment dBeta, long dbOff, MemorySegment dIn, long dInOff, boolean accumulate) {
        backwardThroughAdd(in, inOff, C, hw, n, gamma, gOff, saveMean, smOff, saveRstd, srOff, dOut, dOutOff,
                null, 0, null, 0, false, dGamma, dgOff, dBeta, dbOff, dIn, dInOff, accumulate);
    }

    /**
     * {@link #backward} of a norm fused with the residual add and ReLU that follow it ({@code y = relu(bn(x) + r)}),
     * undoing them in the same call, channel by channel just before that channel's sums (its row then still in cache),
     * rather than in kernels of their own, each a pass over the whole map and a hand-over to the worker threads:
     * {@code dOut} is masked where {@code y ≤ 0} (in place, as {@link Activations#reluBackward} does), and the masked
     * gradient, which is also the residual's, is written or added to {@code dResidual}. The results are those of the
     * three kernels one after the other, bit for bit. The generated code calls this; the interpreter, which runs
     * every op on its own, does not.
     *
     * @param dOut               gradient of {@code y} on entry; the gradient of the norm's output on return
     * @param y                  the fused output, {@code C×(n·hw)}, or {@code null} when no ReLU was fused
     * @param dResidual          {@code C×(n·hw)} floats receiving the residual's gradient, or {@code null} when no
     *                           add was fused; must not overlap {@code dOut}
     * @param accumulateResidual {@code false} overwrites {@code dResidual}, {@code true} adds onto it
     */
    public static void backwardThroughAdd(MemorySegment in, long inOff, int C, int hw, int n, MemorySegment gamma,
                                          long gOff, MemorySegment saveMean, long smOff, MemorySegment saveRstd,
                                          long srOff, MemorySegment dOut, long dOutOff, MemorySegment y, long yOff,
                                          MemorySegment dResidual, long drOff, boolean accumulateResidual,
                                          MemorySegment dGamma, long dgOff, MemorySegment dBeta, long dbOff,
                                          MemorySegment dIn, long dInOff, boolean accumulate) {
        Backward task = BACKWARD.get();
        task.in = in; task.inOff = inOff; task.length = n * hw; task.gamma = gamma; task.gOff = gOff;
        task.saveMean = saveMean; task.smOff = smOff; task.saveRstd = saveRstd; task.srOff = srOff;
        task.dOut = dOut; task.dOutOff = dOutOff; task.y = y; task.yOff = yOff; task.dResidual = dResidual;
        task.drOff = drOff; task.accumulateResidual = accumulateResidual; task.dGamma = dGamma; task.dgOff = dgOff;
        task.dBeta = dBeta; task.dbOff = dbOff; task.dIn = dIn; task.dInOff = dInOff; task.accumulate = accumulate;
        task.runOverChannels(C, (5L + (y == null ? 0 : 2) + (dResidual == null ? 0 : 1)) * n * hw);
    }

    private static final ThreadLocal<Backward> BACKWARD = ThreadLocal.withInitial(Backward::new);
    /** {@link VectorRows#gradientSums}' two results, per thread: the worker threads share the caller's task. */
    private static final ThreadLocal<double[]> SUMS = ThreadLocal.withInitial(() -> new double[2]);

    /** {@link #backward}'s arguments and its work on a range of channels. */
    private static final class Backward extends ChannelRange {
        MemorySegment in, gamma, saveMean, saveRstd, dOut, y, dResidual, dGamma, dBeta, dIn;
        long inOff, gOff, smOff, srOff, dOutOff, yOff, drOff, dgOff, dbOff, dInOff;
        int length;
        boolean accumulateResidual, accumulate;

        @Override
        void run(int from, int to) {
            double[] sums = SUMS.get();
            for (int c = from; c < to; c++) {
                channel(c, sums);
            }
        }

        private void channel(int c, double[] sums) {
            long row = (long) c * length;
            long x = inOff + row, g = dOutOff + row;
            float center = saveMean.getAtIndex(JAVA_FLOAT, smOff + c);
            double rstd = saveRstd.getAtIndex(JAVA_FLOAT, srOff + c);
            if (y != null || dResidual != null) {
                undoReluAndAdd(row);
            }
            // Four partial sums of each, element i into sum i mod 4, added pairwise at the end: four chains of double
            // additions that need not wait on each other, in a fixed order, so the result does not depend on the
            // thread count. VectorRows keeps the four as the lanes of a vector, bit for bit these loops.
            double sumDy, sumDyCentered;
            if (VECTOR_ROWS) {
                VectorRows.gradientSums(in, x, center, dOut, g, length, sums);
                sumDy = sums[0];
                sumDyCentered = sums[1];
            } else {
                double dy0 = 0, dy1 = 0, dy2 = 0, dy3 = 0, dc0 = 0, dc1 = 0, dc2 = 0, dc3 = 0;
                int i = 0;
                for (; i + 3 < length; i += 4) {
                    double a0 = dOut.getAtIndex(JAVA_FLOAT, g + i), a1 = dOut.getAtIndex(JAVA_FLOAT, g + i + 1);
                    double a2 = dOut.getAtIndex(JAVA_FLOAT, g + i + 2), a3 = dOut.getAtIndex(JAVA_FLOAT, g + i + 3);
                    dy0 += a0;
                    dy1 += a1;
                    dy2 += a2;
                    dy3 += a3;
                    dc0 += a0 * (in.getAtIndex(JAVA_FLOAT, x + i) - center);
                    dc1 += a1 * (in.getAtIndex(JAVA_FLOAT, x + i + 1) - center);
                    dc2 += a2 * (in.getAtIndex(JAVA_FLOAT, x + i + 2) - center);
                    dc3 += a3 * (in.getAtIndex(JAVA_FLOAT, x + i + 3) - center);
                }
                for (; i < length; i++) {
                    double dy = dOut.getAtIndex(JAVA_FLOAT, g + i);
                    dy0 += dy;
                    dc0 += dy * (in.getAtIndex(JAVA_FLOAT, x + i) - center);
                }
                sumDy = (dy0 + dy1) + (dy2 + dy3);
                sumDyCentered = (dc0 + dc1) + (dc2 + dc3);
            }
            double sumDyXhat = sumDyCentered * rstd;
            if (dBeta != null) {
                dBeta.setAtIndex(JAVA_FLOAT, dbOff + c, (float) sumDy);
            }
            if (dGamma != null) {
                dGamma.setAtIndex(JAVA_FLOAT, dgOff + c, (float) sumDyXhat);
            }
            if (dIn != null) {
                // dIn = k·dy + q·(x − mean) + r with k = gamma·rstd, q = −k·rstd·Σdy·x̂/M, r = −k·Σdy/M.
                double k = gamma.getAtIndex(JAVA_FLOAT, gOff + c) * rstd;
                float scale = (float) k;
                float slope = (float) (-k * rstd * sumDyXhat / length);
                float shift = (float) (-k * sumDy / length);
                normBackwardRun(in, x, center, slope, dOut, g, scale, shift, dIn, dInOff + row, accumulate, length);
            }
        }

        /**
         * Channel row {@code row} of {@code dOut}: masked in place where {@code y ≤ 0}, then written or added to
         * {@code dResidual}, as {@link Activations#reluBackward} and {@link Elementwise#accumulate} would.
         */
        private void undoReluAndAdd(long row) {
            long g = dOutOff + row, o = yOff + row, r = drOff + row;
            if (VECTOR_ROWS) {
                VectorRows.undoReluAndAdd(dOut, g, y, o, dResidual, r, accumulateResidual, length);
            } else {
                undoReluAndAddRun(dOut, g, y, o, dResidual, r, accumulateResidual, 0, length);
            }
        }

        @Override
        boolean accessibleBy(Thread thread) {
            return accessible(thread, in, gamma, saveMean, saveRstd) && accessible(thread, dOut, dGamma, dBeta, dIn)
                    && accessible(thread, y, dResidual, null, null);
        }

        @Override
        void clear() {
            in = gamma = saveMean = saveRstd = dOut = y = dResidual = dGamma = dBeta = dIn = null;
        }
    }

    /**
     * Positions {@code [from, to)} of one run: {@code dOut} masked in place where {@code y ≤ 0} (when {@code y} is
     * given), then written or added to {@code dResidual} (when given). {@link VectorRows#undoReluAndAdd} runs its tail
     * here.
     */
    static void undoReluAndAddRun(MemorySegment dOut, long g, MemorySegment y, long o, MemorySegment dResidual, long r,
                                  boolean accumulateResidual, int from, int to) {
        for (int i = from; i < to; i++) {
            float pass = dOut.getAtIndex(JAVA_FLOAT, g + i);
            if (y != null) {
                pass = y.getAtIndex(JAVA_FLOAT, o + i) > 0f ? pass : 0f;
                dOut.setAtIndex(JAVA_FLOAT, g + i, pass);
            }
            if (dResidual != null) {
                dResidual.setAtIndex(JAVA_FLOAT, r + i,
                        accumulateResidual ? dResidual.getAtIndex(JAVA_FLOAT, r + i) + pass : pass);
            }
        }
    }

    /**
     * {@code dIn (+)= dOut·scale + (in − center)·slope + shift} over one run of {@code length} floats: the input
     * gradient of every normalization, once its per-run coefficients are known. Each element is read before the same
     * position is written, so {@code dIn} may be {@code dOut} when not accumulating.
     */
    static void normBackwardRun(MemorySegment in, long x, float center, float slope, MemorySegment dOut, long g,
                                float scale, float shift, MemorySegment dIn, long d, boolean accumulate, int length) {
        if (VECTOR_ROWS) {
            VectorRows.normBackward(in, x, center, slope, dOut, g, scale, shift, dIn, d, accumulate, length);
            return;
        }
        if (accumulate) {
            for (int i = 0; i < length; i++) {
                float v = dOut.getAtIndex(JAVA_FLOAT, g + i) * scale
                        + (in.getAtIndex(JAVA_FLOAT, x + i) - center) * slope + shift;
                dIn.setAtIndex(JAVA_FLOAT, d + i, dIn.getAtIndex(JAVA_FLOAT, d + i) + v);
            }
        } else {
            for (int i = 0; i < length; i++) {
                float v = dOut.getAtIndex(JAVA_FLOAT, g + i) * scale
                        + (in.getAtIndex(JAVA_FLOAT, x + i) - center) * slope + shift;
                dIn.setAtIndex(JAVA_FLOAT, d + i, v);
            }
        }
    }
}
