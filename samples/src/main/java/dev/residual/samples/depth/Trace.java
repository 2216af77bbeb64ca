package dev.residual.samples.depth;

import java.util.ArrayList;
import java.util.List;

/**
 * What one net's run measured: per iteration the training loss, the gradient norms of the first convolution's and
 * the last layer's weight, and the wall time so far; per epoch the test accuracy.
 */
final class Trace {

    /**
     * One training step: {@code stepSeconds} is its own wall time, {@code seconds} the wall time since the run
     * started, evaluations included.
     */
    record Iteration(int iteration, int epoch, double loss, double gradFirst, double gradLast, double stepSeconds,
                     double seconds) {}

    /** The end of one epoch. */
    record Epoch(int epoch, int iteration, double trainLoss, double testAccuracy, double seconds) {}

    final Nets.Net net;
    final long parameters;
    final List<Iteration> iterations = new ArrayList<>();
    final List<Epoch> epochs = new ArrayList<>();
    /** Steps whose loss or gradient was not finite, and so were not applied. */
    int skippedSteps;

    Trace(Nets.Net net, long parameters) {
        this.net = net;
        this.parameters = parameters;
    }

    /** Mean training loss over the last epoch's iterations. */
    double lastEpochLoss() {
        return lastEpoch().stream().mapToDouble(Iteration::loss).filter(Double::isFinite).average()
                .orElse(Double.NaN);
    }

    /** Mean first-layer gradient norm over the last epoch's iterations. */
    double lastEpochGradFirst() {
        return lastEpoch().stream().mapToDouble(Iteration::gradFirst).filter(Double::isFinite).average()
                .orElse(Double.NaN);
    }

    double finalAccuracy() {
        return epochs.isEmpty() ? Double.NaN : epochs.getLast().testAccuracy();
    }

    Iteration first() {
        return iterations.getFirst();
    }

    /** The median wall time of a step: the first steps run in the interpreter and would inflate a mean. */
    double secondsPerStep() {
        double[] sorted = iterations.stream().mapToDouble(Iteration::stepSeconds).sorted().toArray();
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length / 2];
    }

    double wallSeconds() {
        return epochs.isEmpty() ? Double.NaN : epochs.getLast().seconds();
    }

    private List<Iteration> lastEpoch() {
        int last = iterations.getLast().epoch();
        return iterations.stream().filter(it -> it.epoch() == last).toList();
    }
}
