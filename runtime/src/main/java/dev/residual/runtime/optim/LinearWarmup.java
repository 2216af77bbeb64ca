package dev.residual.runtime.optim;

/**
 * A linear warm-up before another schedule. For {@code t < steps} the rate rises linearly from
 * {@code startFactor·after.at(0)} towards {@code after.at(0)}:
 * {@code after.at(0)·(startFactor + (1 − startFactor)·t/steps)}; from {@code t = steps} on it is
 * {@code after.at(t − steps)}, so the wrapped schedule starts its own count when the warm-up ends. {@code t} is the
 * 0-based update index (see {@link LearningRate}). This is PyTorch's
 * {@code SequentialLR([LinearLR(start_factor=startFactor, total_iters=steps), after], milestones=[steps])}.
 *
 * @param after       the schedule that follows the warm-up
 * @param startFactor the fraction of {@code after.at(0)} at {@code t = 0}, in [0, 1] (PyTorch: (0, 1])
 * @param steps       the length of the warm-up in updates, {@code >= 0} (0: no warm-up)
 */
public record LinearWarmup(LearningRate after, double startFactor, long steps) implements LearningRate {

    public LinearWarmup {
        if (after == null) {
            throw new IllegalArgumentException("the schedule after the warm-up is null");
        }
        if (!(startFactor >= 0 && startFactor <= 1)) {
            throw new IllegalArgumentException("startFactor is " + startFactor + "; it must be in [0, 1]");
        }
        if (steps < 0) {
            throw new IllegalArgumentException("warm-up steps is " + steps + "; it must be >= 0");
        }
    }

    @Override
    public double at(long t) {
        LearningRate.checkStep(t);
        if (t < steps) {
            return after.at(0) * (startFactor + (1 - startFactor) * t / steps);
        }
        return after.at(t - steps);
    }
}
