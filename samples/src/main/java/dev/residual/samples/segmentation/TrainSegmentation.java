package dev.residual.samples.segmentation;

import dev.residual.runtime.Threads;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.Cosine;
import dev.residual.samples.resnet.Options;
import java.io.PrintStream;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Trains {@link UNet} on the {@link Shapes} task: every step a fresh batch of 16 generated images, per-pixel
 * cross-entropy, AdamW with a cosine rate. Prints the loss and the batch's pixel accuracy as it trains, then on a
 * held-out set (drawn from another seed, never trained on) the pixel accuracy, each class's IoU and the mean IoU,
 * and a line scripts can read: {@code RESULT model=UNet steps=S train_loss=… pixel_accuracy=… mean_iou=…
 * seconds=…}.
 */
public final class TrainSegmentation {

    private static final String USAGE = """
            usage: segment [--steps 400] [--lr 0.003] [--seed 1] [--held-out 256] [--every 50] [--threads N]
              --steps N     training steps of 16 fresh images each
              --threads N   threads per step, for the GEMMs and the element-wise kernels (default: all cores)
              --held-out K  images of the held-out set the IoU is measured on
              --every N     print the loss every N steps (the mean of those N)""";

    private static final int BATCH = UNetNet.BATCH;
    private static final int PIXELS = Shapes.SIZE * Shapes.SIZE;

    /** What a run measured. */
    record Result(double firstLoss, double lastLoss, double pixelAccuracy, double[] iou, double meanIoU,
                  double seconds) {}

    private TrainSegmentation() {}

    public static void main(String[] args) {
        Options.main("segment", USAGE, args, options -> {
            int steps = options.integer("--steps", 400, 1, 1_000_000);
            double lr = options.decimal("--lr", 3e-3);
            long seed = options.integer("--seed", 1, 0, Integer.MAX_VALUE);
            int heldOut = options.integer("--held-out", 256, 1, 1_000_000);
            int every = options.integer("--every", 50, 1, 1_000_000);
            int threads = options.integer("--threads", Runtime.getRuntime().availableProcessors(), 1, 256);
            options.done();
            run(steps, lr, seed, heldOut, every, threads, System.out);
        });
    }

    static Result run(int steps, double lr, long seed, int heldOut, int every, int threads, PrintStream out) {
        out.printf(Locale.ROOT, "U-Net on %d×%d synthetic shapes (%s), batches of %d, %d steps, %d threads%n",
                Shapes.SIZE, Shapes.SIZE, String.join(", ", Shapes.NAMES), BATCH, steps, threads);
        Gemm gemm = Threads.gemm(threads);
        SplittableRandom training = new SplittableRandom(seed);
        float[] images = new float[BATCH * PIXELS];
        int[] labels = new int[BATCH * PIXELS];
        float[] scores = new float[BATCH * UNetNet.OUTPUT_SIZE];
        try (UNetNet model = new UNetNet(gemm, seed)) {
            model.setOptimizer(new AdamW(0.9, 0.999, 1e-8, 1e-4, false), new Cosine(lr, lr / 20, steps));
            long start = System.nanoTime();
            double sum = 0, first = Double.NaN, last = Double.NaN;
            for (int step = 1; step <= steps; step++) {
                Shapes.batch(training, images, labels, BATCH);
                float loss = model.trainStep(BATCH, images, labels);
                first = step == 1 ? loss : first;
                sum += loss;
                if (step % every == 0 || step == steps) {
                    int count = step % every == 0 ? every : step % every;
                    last = sum / count;
                    sum = 0;
                    // the batch just trained on, scored by the updated model in inference mode
                    Confusion batch = new Confusion(Shapes.CLASSES);
                    model.forward(BATCH, images, scores);
                    batch.add(scores, labels, BATCH, PIXELS);
                    out.printf(Locale.ROOT, "step %5d/%d  loss %.4f  batch pixel accuracy %.4f  (%.1f s)%n", step,
                            steps, last, batch.pixelAccuracy(), (System.nanoTime() - start) / 1e9);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Confusion confusion = evaluate(model, seed, heldOut, images, labels, scores);
            double[] iou = new double[Shapes.CLASSES];
            out.printf(Locale.ROOT, "held-out set of %d images: pixel accuracy %.4f%n", heldOut,
                    confusion.pixelAccuracy());
            for (int c = 0; c < Shapes.CLASSES; c++) {
                iou[c] = confusion.iou(c);
                out.printf(Locale.ROOT, "  IoU %-10s %.4f%n", Shapes.NAMES[c], iou[c]);
            }
            out.printf(Locale.ROOT, "  mean IoU   %.4f%n", confusion.meanIoU());
            out.printf(Locale.ROOT,
                    "RESULT model=UNet steps=%d train_loss=%.4f pixel_accuracy=%.4f mean_iou=%.4f seconds=%.1f%n",
                    steps, last, confusion.pixelAccuracy(), confusion.meanIoU(), seconds);
            return new Result(first, last, confusion.pixelAccuracy(), iou, confusion.meanIoU(), seconds);
        }
    }

    /** The confusion matrix over {@code count} held-out images, drawn from a stream no training batch uses. */
    static Confusion evaluate(UNetNet model, long seed, int count, float[] images, int[] labels, float[] scores) {
        SplittableRandom heldOut = new SplittableRandom(~seed * 0x9E3779B97F4A7C15L);
        Confusion confusion = new Confusion(Shapes.CLASSES);
        for (int first = 0; first < count; first += BATCH) {
            int n = Math.min(BATCH, count - first);
            Shapes.batch(heldOut, images, labels, n);
            model.forward(n, images, scores);
            confusion.add(scores, labels, n, PIXELS);
        }
        return confusion;
    }
}
