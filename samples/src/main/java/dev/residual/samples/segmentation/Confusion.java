package dev.residual.samples.segmentation;

/**
 * The confusion matrix of a segmentation, pixel by pixel: the class a model scores highest against the true class.
 * From it, pixel accuracy and each class's intersection over union, {@code IoU = TP / (TP + FP + FN)}, whose mean
 * over the classes is the usual summary (a class absent from both prediction and truth has no IoU: NaN, left out of
 * the mean).
 */
public final class Confusion {

    private final int classes;
    private final long[][] counts; // [true][predicted]

    public Confusion(int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes is " + classes + "; it must be at least 1");
        }
        this.classes = classes;
        this.counts = new long[classes][classes];
    }

    /**
     * Adds {@code n} images of scores, N·C·H·W as a generated model's {@code forward} writes them, against their
     * labels ({@code n·H·W}, image by image, row by row).
     */
    public void add(float[] scores, int[] labels, int n, int pixels) {
        if (scores.length < (long) n * classes * pixels || labels.length < (long) n * pixels) {
            throw new IllegalArgumentException("need " + n * classes * pixels + " scores and " + n * pixels
                    + " labels, got " + scores.length + " and " + labels.length);
        }
        for (int s = 0; s < n; s++) {
            for (int p = 0; p < pixels; p++) {
                int best = 0;
                float max = scores[s * classes * pixels + p];
                for (int c = 1; c < classes; c++) {
                    float score = scores[(s * classes + c) * pixels + p];
                    if (score > max) {
                        max = score;
                        best = c;
                    }
                }
                int truth = labels[s * pixels + p];
                if (truth < 0 || truth >= classes) {
                    throw new IllegalArgumentException("label " + truth + " of image " + s + ", pixel " + p
                            + " is not a class in [0, " + classes + ")");
                }
                counts[truth][best]++;
            }
        }
    }

    /** The share of pixels whose highest score is their class. */
    public double pixelAccuracy() {
        long right = 0, all = 0;
        for (int t = 0; t < classes; t++) {
            for (int p = 0; p < classes; p++) {
                all += counts[t][p];
                right += t == p ? counts[t][p] : 0;
            }
        }
        return all == 0 ? Double.NaN : (double) right / all;
    }

    /** {@code TP / (TP + FP + FN)} of one class; NaN when it is neither predicted nor present. */
    public double iou(int c) {
        long truePositive = counts[c][c], falsePositive = 0, falseNegative = 0;
        for (int other = 0; other < classes; other++) {
            if (other != c) {
                falsePositive += counts[other][c];
                falseNegative += counts[c][other];
            }
        }
        long union = truePositive + falsePositive + falseNegative;
        return union == 0 ? Double.NaN : (double) truePositive / union;
    }

    /** The mean IoU over the classes that have one. */
    public double meanIoU() {
        double sum = 0;
        int defined = 0;
        for (int c = 0; c < classes; c++) {
            double iou = iou(c);
            if (!Double.isNaN(iou)) {
                sum += iou;
                defined++;
            }
        }
        return defined == 0 ? Double.NaN : sum / defined;
    }
}
