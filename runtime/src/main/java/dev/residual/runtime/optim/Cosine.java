package dev.residual.runtime.optim;

/**
 * Cosine annealing from {@code lrMax} at {@code t = 0} to {@code lrMin} at {@code t = period}:
 * {@code lrMin + (lrMax − lrMin)·(1 + cos(π·t/period))/2}, the closed form of PyTorch's
 * {@code CosineAnnealingLR(T_max=period, eta_min=lrMin)}. {@code t} is the 0-based update index (see
 * {@link LearningRate}). As in PyTorch the formula goes on past {@code period}, so the rate rises again after it: give
 * the whole run as the period.
 *
 * @param lrMax  the initial rate, {@code >= 0}
 * @param lrMin  the final rate, {@code >= 0}
 * @param period updates from {@code lrMax} to {@code lrMin}, {@code >= 1}
 */
public record Cosine(double lrMax, double lrMin, long period) implements LearningRate {

    public Cosine {
        Checks.nonNegative("lrMax", lrMax);
        Checks.nonNegative("lrMin", lrMin);
        if (period < 1) {
            throw new IllegalArgumentException("period is " + period + "; it must be >= 1");
        }
    }

    /** Annealing to 0. */
    public Cosine(double lrMax, long period) {
        this(lrMax, 0, period);
    }

    @Override
    public double at(long t) {
        LearningRate.checkStep(t);
        return lrMin + (lrMax - lrMin) * (1 + Math.cos(Math.PI * t / period)) / 2;
    }
}
