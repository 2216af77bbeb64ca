package dev.residual.runtime.optim;

/**
 * The rate multiplied by {@code gamma} every {@code stepSize} updates: {@code lr·gamma^⌊t/stepSize⌋}, PyTorch's
 * {@code StepLR(step_size, gamma)} in its closed form. {@code t} is the 0-based update index (see
 * {@link LearningRate}); use {@link LearningRate#perEpoch(long)} when {@code stepSize} counts epochs.
 *
 * @param lr       the initial rate, {@code >= 0}
 * @param stepSize updates between decays, {@code >= 1}
 * @param gamma    the factor applied at each decay, {@code >= 0} (0.1 usually)
 */
public record StepDecay(double lr, long stepSize, double gamma) implements LearningRate {

    public StepDecay {
        Checks.nonNegative("lr", lr);
        Checks.nonNegative("gamma", gamma);
        if (stepSize < 1) {
            throw new IllegalArgumentException("stepSize is " + stepSize + "; it must be >= 1");
        }
    }

    @Override
    public double at(long t) {
        LearningRate.checkStep(t);
        return lr * Math.pow(gamma, (double) (t / stepSize));
    }
}
