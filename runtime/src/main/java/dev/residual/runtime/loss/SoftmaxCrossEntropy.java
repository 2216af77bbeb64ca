package dev.residual.runtime.loss;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;

/**
 * Softmax cross-entropy of a batch of logits against class labels, with optional label smoothing: PyTorch's
 * {@code CrossEntropyLoss(label_smoothing=ε)} with the default mean reduction (no weights, no ignored index).
 *
 * <p>For sample {@code s} with label {@code y}, {@code C} classes and logits {@code x}:
 * <pre>
 * target_k = (1 − ε)·[k = y] + ε/C
 * loss_s   = −Σ_k target_k·log softmax(x)_k = logsumexp(x) − (1 − ε)·x_y − (ε/C)·Σ_k x_k
 * loss     = (1/n)·Σ_s loss_s
 * dloss/dx_{k,s} = (softmax(x)_k − target_k) / n
 * </pre>
 * Each sample is computed in double after subtracting its largest logit, so huge logits (±1e4 and beyond) neither
 * overflow nor lose the answer, and each gradient is rounded to float once. A NaN or +∞ logit makes its sample's loss
 * and gradient NaN (as in PyTorch), which {@link dev.residual.runtime.optim.GradientClipping#allFinite} detects.
 *
 * <p>Logits are channel-major: {@code classes} rows of {@code n} floats, class {@code k} of sample {@code s} at
 * {@code off + k·n + s}; the gradient has the same layout. Labels are {@code int}s in {@code [0, classes)}, one per
 * sample.
 *
 * <p>The per-pixel loss of a segmentation model ({@code Loss.PIXEL_CROSS_ENTROPY}, PyTorch's {@code cross_entropy} on
 * {@code (N, C, H, W)} scores and {@code (N, H, W)} targets) is this same function: a channel-major image output
 * {@code C×(N·H·W)} is {@code N·H·W} columns of class scores, one per pixel in the order of the targets, so the
 * generated class calls it with {@code n = N·H·W}. A sequence model's per-position loss is the same with
 * {@code n = N·T}.
 */
public final class SoftmaxCrossEntropy {

    private SoftmaxCrossEntropy() {}

    /**
     * The mean loss of {@code n} samples and, when {@code dLogits} is not null, its gradient.
     *
     * @param logits    {@code classes·n} floats at {@code off}, channel-major
     * @param classes   the number of classes, {@code >= 1}
     * @param n         the number of samples, {@code >= 1}
     * @param labels    at least {@code n} labels; the first {@code n} are used
     * @param smoothing label smoothing ε in [0, 1]; 0 for none
     * @param dLogits   {@code classes·n} floats for dLoss/dLogits (already divided by {@code n}), or {@code null} for
     *                  the loss alone; may be {@code logits} itself with {@code dOff == off}
     * @return the mean loss
     * @throws IllegalArgumentException for a label outside {@code [0, classes)} (naming the sample, the label and the
     *                                  range) or any other bad argument, before anything is written
     */
    public static float forward(MemorySegment logits, long off, int classes, int n, int[] labels, float smoothing,
                                MemorySegment dLogits, long dOff) {
        check(logits, off, classes, n, smoothing, dLogits, dOff);
        if (labels == null || labels.length < n) {
            throw new IllegalArgumentException("labels " + (labels == null ? "is null" : "holds " + labels.length)
                    + "; it needs one per sample, " + n);
        }
        for (int s = 0; s < n; s++) {
            checkLabel(s, labels[s], classes);
        }
        double total = 0;
        for (int s = 0; s < n; s++) {
            total += sample(logits, off + s, classes, n, labels[s], smoothing, dLogits, dOff + s);
        }
        return (float) (total / n);
    }

    /**
     * {@link #forward(MemorySegment, long, int, int, int[], float, MemorySegment, long)} with the labels read from
     * {@code n} {@code int}s (native order) at int offset {@code labelsOff} of {@code labels}.
     */
    public static float forward(MemorySegment logits, long off, int classes, int n, MemorySegment labels,
                                long labelsOff, float smoothing, MemorySegment dLogits, long dOff) {
        check(logits, off, classes, n, smoothing, dLogits, dOff);
        LossChecks.block("labels", labels, labelsOff, n, Integer.BYTES);
        for (int s = 0; s < n; s++) {
            checkLabel(s, labels.getAtIndex(JAVA_INT, labelsOff + s), classes);
        }
        double total = 0;
        for (int s = 0; s < n; s++) {
            int label = labels.getAtIndex(JAVA_INT, labelsOff + s);
            total += sample(logits, off + s, classes, n, label, smoothing, dLogits, dOff + s);
        }
        return (float) (total / n);
    }

    /** The number of samples whose largest logit is their label's (top-1 correct), for accuracy. */
    public static int correct(MemorySegment logits, long off, int classes, int n, int[] labels) {
        LossChecks.shape("classes", classes, n);
        LossChecks.block("logits", logits, off, (long) classes * n, Float.BYTES);
        if (labels == null || labels.length < n) {
            throw new IllegalArgumentException("labels " + (labels == null ? "is null" : "holds " + labels.length)
                    + "; it needs one per sample, " + n);
        }
        for (int s = 0; s < n; s++) {
            checkLabel(s, labels[s], classes);
        }
        int correct = 0;
        for (int s = 0; s < n; s++) {
            if (argmax(logits, off, classes, n, s) == labels[s]) {
                correct++;
            }
        }
        return correct;
    }

    /**
     * The class with the largest logit for sample {@code s}; the first one on ties and the first NaN if any, as
     * {@code torch.argmax}.
     */
    public static int argmax(MemorySegment logits, long off, int classes, int n, int s) {
        if (s < 0 || s >= n) {
            throw new IllegalArgumentException("sample " + s + " is outside [0, " + n + ")");
        }
        LossChecks.shape("classes", classes, n);
        LossChecks.block("logits", logits, off, (long) classes * n, Float.BYTES);
        int best = 0;
        float max = logits.getAtIndex(JAVA_FLOAT, off + s);
        for (int k = 1; k < classes && max == max; k++) {
            float x = logits.getAtIndex(JAVA_FLOAT, off + (long) k * n + s);
            if (x > max || x != x) {
                max = x;
                best = k;
            }
        }
        return best;
    }

    private static void check(MemorySegment logits, long off, int classes, int n, float smoothing,
                              MemorySegment dLogits, long dOff) {
        LossChecks.shape("classes", classes, n);
        if (!(smoothing >= 0 && smoothing <= 1)) {
            throw new IllegalArgumentException("label smoothing is " + smoothing + "; it must be in [0, 1]");
        }
        long count = (long) classes * n;
        LossChecks.block("logits", logits, off, count, Float.BYTES);
        if (dLogits != null) {
            LossChecks.block("dLogits", dLogits, dOff, count, Float.BYTES);
        }
    }

    private static void checkLabel(int sample, int label, int classes) {
        if (label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " of sample " + sample + " is outside the valid"
                    + " range [0, " + classes + ") of class indices; the logits have " + classes + " classes");
        }
    }

    /**
     * One sample's loss; writes its gradient column when {@code d} is not null. Reads every logit before it writes
     * the gradient at the same position, so {@code d} may be the logits.
     */
    private static double sample(MemorySegment logits, long x, int classes, int n, int label, float smoothing,
                                 MemorySegment d, long y) {
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
            max = Math.max(max, logits.getAtIndex(JAVA_FLOAT, x + (long) k * n));
        }
        double sum = 0, sumZ = 0;
        for (int k = 0; k < classes; k++) {
            double z = (double) logits.getAtIndex(JAVA_FLOAT, x + (long) k * n) - max;
            sum += Math.exp(z);
            sumZ += z;
        }
        double logSum = Math.log(sum);
        double zLabel = (double) logits.getAtIndex(JAVA_FLOAT, x + (long) label * n) - max;
        double eps = smoothing;
        double loss = smoothing == 0 ? logSum - zLabel
                : logSum - (1 - eps) * zLabel - eps / classes * sumZ;
        if (d != null) {
            double inverseSum = 1 / sum;
            double off = eps / classes; // the smoothed target of every class but the label
            double on = 1 - eps + off;
            for (int k = 0; k < classes; k++) {
                long at = (long) k * n;
                double p = Math.exp((double) logits.getAtIndex(JAVA_FLOAT, x + at) - max) * inverseSum;
                d.setAtIndex(JAVA_FLOAT, y + at, (float) ((p - (k == label ? on : off)) / n));
            }
        }
        return loss;
    }
}
