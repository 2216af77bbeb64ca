package dev.residual.runtime.optim;

/**
 * A learning-rate schedule: the learning rate as a function of training progress.
 *
 * <p><b>The argument is a 0-based step index</b>: {@code at(t)} is the rate of the update that follows {@code t}
 * completed updates, so the update {@link Optimizer#step} numbers {@code step} (1-based) uses {@code at(step - 1)}.
 * This is PyTorch's {@code last_epoch} for a scheduler whose {@code scheduler.step()} is called after every
 * {@code optimizer.step()}; every length in a schedule ({@link StepDecay#stepSize()}, {@link Cosine#period()},
 * {@link LinearWarmup#steps()}) is then counted in updates.
 *
 * <p>For a schedule that PyTorch code advances once per <em>epoch</em>, wrap it with {@link #perEpoch(long)}: the
 * wrapped schedule then sees the epoch index {@code t / stepsPerEpoch} and its lengths count epochs.
 *
 * <p>Implementations are pure functions of {@code t} (no state, so a resumed run gets the same rates) and allocate
 * nothing. They throw {@link IllegalArgumentException} for {@code t < 0}.
 */
@FunctionalInterface
public interface LearningRate {

    /** The learning rate after {@code t} completed updates ({@code t >= 0}). */
    double at(long t);

    /** The same rate at every step. */
    static LearningRate constant(double lr) {
        Checks.nonNegative("lr", lr);
        return t -> {
            checkStep(t);
            return lr;
        };
    }

    /**
     * This schedule advanced once per epoch: {@code perEpoch(k).at(t) == at(t / k)}, so with {@code k} updates per
     * epoch every update of epoch {@code e} uses {@code at(e)}, as a PyTorch scheduler stepped at the end of each
     * epoch does.
     */
    default LearningRate perEpoch(long stepsPerEpoch) {
        if (stepsPerEpoch < 1) {
            throw new IllegalArgumentException("stepsPerEpoch is " + stepsPerEpoch + "; it must be >= 1");
        }
        LearningRate perStep = this;
        return t -> {
            checkStep(t);
            return perStep.at(t / stepsPerEpoch);
        };
    }

    /** This schedule after a linear warm-up: {@code new LinearWarmup(this, startFactor, steps)}. */
    default LearningRate withWarmup(double startFactor, long steps) {
        return new LinearWarmup(this, startFactor, steps);
    }

    /** Throws unless {@code t >= 0}; for implementations. */
    static void checkStep(long t) {
        if (t < 0) {
            throw new IllegalArgumentException("learning-rate schedules start at t = 0 (the first update); got t = "
                    + t);
        }
    }
}
