package dev.residual.samples.depth;

import dev.residual.runtime.data.Batches;
import dev.residual.runtime.data.Dataset;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.loss.SoftmaxCrossEntropy;
import dev.residual.runtime.model.CompiledModel;
import dev.residual.runtime.optim.Cosine;
import dev.residual.runtime.optim.Sgd;
import dev.residual.samples.report.Progress;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * Trains one net of the experiment with the settings every net shares: the same initialization seed, the same
 * shuffled order of the same images, the same optimizer and schedule.
 */
final class NetTrainer {

    /** He et al. §4.2: SGD with momentum 0.9 and weight decay 1e-4. */
    static final double MOMENTUM = 0.9, WEIGHT_DECAY = 1e-4;
    /**
     * The learning rate starts at a tenth for the first 10 % of the steps, then follows a cosine from the peak: He et
     * al. warm ResNet-110 up at 0.01, and a run this short needs the decay at its end to settle.
     */
    static final double WARMUP_FACTOR = 0.1, WARMUP_FRACTION = 0.1;

    private final DepthExperiment.Settings settings;
    private final Dataset train;
    private final Dataset test;
    private final Gemm gemm;
    private final PrintStream out;

    NetTrainer(DepthExperiment.Settings settings, Dataset train, Dataset test, Gemm gemm, PrintStream out) {
        this.settings = settings;
        this.train = train;
        this.test = test;
        this.gemm = gemm;
        this.out = out;
    }

    Trace train(Nets.Net net) {
        long started = System.nanoTime();
        try (Nets.Instance instance = net.create(gemm, settings.seed())) {
            CompiledModel model = instance.model();
            Trace trace = new Trace(net, model.parameters().stream().mapToLong(t -> t.size()).sum());
            Batches batches = new Batches(train, settings.batch(), settings.seed(), true);
            long steps = (long) settings.epochs() * batches.batchesPerEpoch();
            model.setOptimizer(new Sgd(MOMENTUM, WEIGHT_DECAY), new Cosine(settings.lr(), steps)
                    .withWarmup(WARMUP_FACTOR, Math.max(1, Math.round(steps * WARMUP_FRACTION))));
            out.printf(Locale.ROOT, "%s: %,d parameters%n", net.name(), trace.parameters);
            int iteration = 0;
            for (int epoch = 0; epoch < settings.epochs(); epoch++) {
                batches.startEpoch(epoch);
                Progress progress = Progress.start(epoch + 1, settings.epochs(), batches.batchesPerEpoch(), out,
                        Progress.isTerminal());
                double lossSum = 0;
                long images = 0, correct = 0, nanos = 0;
                for (int n = batches.next(), index = 0; n > 0; n = batches.next(), index++) {
                    long start = System.nanoTime();
                    float loss;
                    try {
                        loss = instance.trainStep(n, batches.images(), batches.labels());
                    } catch (ArithmeticException diverged) { // the step was not applied; a deep plain net may do this
                        loss = Float.NaN;
                        trace.skippedSteps++;
                    }
                    long stepNanos = System.nanoTime() - start;
                    nanos += stepNanos;
                    iteration++;
                    boolean finite = Float.isFinite(loss);
                    trace.iterations.add(new Trace.Iteration(iteration, epoch + 1, loss,
                            finite ? model.gradient(net.firstWeight()).norm() : Double.NaN,
                            finite ? model.gradient(Nets.LAST_WEIGHT).norm() : Double.NaN, stepNanos / 1e9,
                            (System.nanoTime() - started) / 1e9));
                    if (!finite) {
                        continue;
                    }
                    images += n;
                    lossSum += (double) loss * n;
                    correct += SoftmaxCrossEntropy.correct(instance.logits().output().data(), 0, 10, n,
                            batches.labels());
                    progress.update(index, lossSum / images, (double) correct / images, images / (nanos / 1e9));
                }
                double accuracy = evaluate(instance);
                progress.finish(String.format(Locale.ROOT, "loss %.4f, test accuracy %.4f", lossSum / images,
                        accuracy));
                trace.epochs.add(new Trace.Epoch(epoch + 1, iteration, lossSum / images, accuracy,
                        (System.nanoTime() - started) / 1e9));
            }
            return trace;
        }
    }

    /** Accuracy on the test images, in evaluation mode (running statistics). */
    private double evaluate(Nets.Instance instance) {
        Batches batches = new Batches(test, settings.batch(), 0, false);
        batches.startEpoch(0);
        float[] logits = new float[settings.batch() * 10];
        long correct = 0;
        for (int n = batches.next(); n > 0; n = batches.next()) {
            instance.forward(n, batches.images(), logits);
            MemorySegment channelMajor = instance.logits().output().data();
            correct += SoftmaxCrossEntropy.correct(channelMajor, 0, 10, n, batches.labels());
        }
        return (double) correct / test.size();
    }
}
