package dev.residual.runtime.loss;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * Mean squared error over every element, PyTorch's {@code MSELoss()} (mean reduction): with {@code N = features·n},
 * {@code loss = (1/N)·Σ (p − t)²} and {@code dloss/dp = (2/N)·(p − t)}. The loss is summed in double; the gradient is
 * computed in float as PyTorch does ({@code (float)(2/N)·(p − t)}), so it matches PyTorch's bit for bit.
 *
 * <p>Prediction, target and gradient share the channel-major layout ({@code features} rows of {@code n}); as the
 * loss treats every element alike, any layout works as long as the three agree.
 */
public final class MeanSquaredError {

    private MeanSquaredError() {}

    /**
     * The mean loss and, when {@code dPrediction} is not null, its gradient.
     *
     * @param prediction  {@code features·n} floats at {@code pOff}
     * @param features    values per sample, {@code >= 1}
     * @param n           samples, {@code >= 1}
     * @param target      {@code features·n} floats at {@code tOff}, same layout
     * @param dPrediction {@code features·n} floats for dLoss/dPrediction, or {@code null} for the loss alone; may be
     *                    {@code prediction} or {@code target} itself (same offset)
     * @return the mean loss
     */
    public static float forward(MemorySegment prediction, long pOff, int features, int n, MemorySegment target,
                                long tOff, MemorySegment dPrediction, long dOff) {
        LossChecks.shape("features", features, n);
        long count = (long) features * n;
        LossChecks.block("prediction", prediction, pOff, count, Float.BYTES);
        LossChecks.block("target", target, tOff, count, Float.BYTES);
        if (dPrediction != null) {
            LossChecks.block("dPrediction", dPrediction, dOff, count, Float.BYTES);
        }
        double sum = 0;
        if (dPrediction == null) {
            for (long i = 0; i < count; i++) {
                double e = (double) prediction.getAtIndex(JAVA_FLOAT, pOff + i)
                        - target.getAtIndex(JAVA_FLOAT, tOff + i);
                sum += e * e;
            }
        } else {
            float norm = (float) (2.0 / count);
            for (long i = 0; i < count; i++) {
                float p = prediction.getAtIndex(JAVA_FLOAT, pOff + i);
                float t = target.getAtIndex(JAVA_FLOAT, tOff + i);
                double e = (double) p - t;
                sum += e * e;
                dPrediction.setAtIndex(JAVA_FLOAT, dOff + i, norm * (p - t));
            }
        }
        return (float) (sum / count);
    }
}
