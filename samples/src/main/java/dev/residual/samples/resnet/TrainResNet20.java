package dev.residual.samples.resnet;

import dev.residual.runtime.Threads;
import dev.residual.runtime.data.Batches;
import dev.residual.runtime.data.Dataset;
import dev.residual.runtime.data.EpochOrder;
import dev.residual.runtime.data.Idx;
import dev.residual.runtime.data.OrderFile;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.loss.SoftmaxCrossEntropy;
import dev.residual.runtime.optim.Cosine;
import dev.residual.runtime.optim.Sgd;
import dev.residual.samples.report.CsvWriter;
import dev.residual.samples.report.LineChart;
import dev.residual.samples.report.Progress;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains ResNet-20 on Fashion-MNIST the way a user would: SGD with momentum 0.9 and weight decay 5e-4, batch 128, a
 * cosine learning rate from 0.1 over all steps, evaluation on the test set after each epoch, a resumable checkpoint
 * every epoch, a loss/accuracy chart, and a final line scripts can read:
 * {@code RESULT model=ResNet20 epochs=E batch=B test_accuracy=0.xxxx train_images_per_s=N seconds=S}.
 */
public final class TrainResNet20 {

    private static final String USAGE = """
            usage: train [--epochs 3] [--batch 128] [--lr 0.1] [--seed 1] [--threads N] [--data DIR]
                         [--limit N] [--test-limit N] [--out runs/resnet20] [--resume] [--stop-after E]
                         [--order FILE | --write-order FILE] [--init FILE | --write-init FILE]
              --seed S       PyTorch's initial weights after torch.manual_seed(S) and torch.randperm's shuffles
                             from a generator seeded with S: train_resnet20.py --seed S starts from the same
                             weights and sees the same batches
              --data DIR     a folder with Fashion-MNIST's four IDX files (default: Debian's dataset-fashion-mnist,
                             else the bundled 2,000-image subset)
              --limit N      train on the first N images only; --test-limit N evaluates on the first N
              --out DIR      checkpoints (checkpoint.safetensors, resnet20.safetensors), history.csv, curve.png
              --resume       continue from DIR/checkpoint.safetensors
              --stop-after E stop after epoch E (the schedule still spans --epochs); resume later
              --order FILE   visit the training images in FILE's orders instead of shuffling with --seed: one
                             permutation per epoch, little-endian int64 indices (train_resnet20.py --write-order
                             writes PyTorch's), to compare two programs on the same batches
              --write-order FILE
                             write the orders --seed gives for --epochs to FILE (for train_resnet20.py --order)
                             and stop without training
              --init FILE    start from the weights and running statistics in FILE (safetensors, PyTorch's names,
                             e.g. train_resnet20.py --write-init's) instead of initializing them from --seed
              --write-init FILE
                             write the initial weights --seed gives to FILE (safetensors, PyTorch's names; for
                             train_resnet20.py --init) and stop without training""";

    /** What a run is asked to do; options that exclude each other are refused here. */
    record Settings(int epochs, int batch, double lr, long seed, int threads, Path data, int limit,
                    int testLimit, Path out, boolean resume, int stopAfter, Path order, Path writeOrder, Path writeInit,
                    Path init) {
        Settings {
            if (order != null && writeOrder != null) {
                throw new IllegalArgumentException("--order and --write-order exclude each other");
            }
            if (init != null && writeInit != null) {
                throw new IllegalArgumentException("--init and --write-init exclude each other");
            }
            if (init != null && resume) {
                throw new IllegalArgumentException("--init and --resume exclude each other: a resumed run continues "
                        + "from its checkpoint's weights");
            }
        }
    }

    /** What a run measured: the final test accuracy, throughput, wall time, and the loss of every step run. */
    record Result(double testAccuracy, double imagesPerSecond, double seconds, List<Double> losses) {}

    private TrainResNet20() {}

    public static void main(String[] args) {
        Options.main("train", USAGE, args, options -> {
            Settings settings = new Settings(
                    options.integer("--epochs", 3, 1, 10_000),
                    options.integer("--batch", ResNet20Net.BATCH, 1, ResNet20Net.BATCH),
                    options.decimal("--lr", 0.1),
                    options.integer("--seed", 1, 0, Integer.MAX_VALUE),
                    options.integer("--threads", Runtime.getRuntime().availableProcessors(), 1, 256),
                    options.path("--data", null),
                    options.integer("--limit", Idx.ALL, 1, Idx.ALL),
                    options.integer("--test-limit", Idx.ALL, 1, Idx.ALL),
                    options.path("--out", Path.of("runs", "resnet20")),
                    options.flag("--resume"),
                    options.integer("--stop-after", Integer.MAX_VALUE, 1, Integer.MAX_VALUE),
                    options.path("--order", null),
                    options.path("--write-order", null),
                    options.path("--write-init", null),
                    options.path("--init", null));
            options.done();
            if (settings.writeOrder() != null || settings.writeInit() != null) {
                writeStart(settings, System.out);
            } else {
                run(settings, System.out);
            }
        });
    }

    /**
     * The demo's optimizer and schedule: SGD with momentum 0.9 and weight decay 5e-4, a cosine rate from {@code lr}
     * to 0 over {@code totalSteps} updates. Tools that continue or check a run of the demo call this too.
     */
    public static void useRecipe(ResNet20Net model, double lr, long totalSteps) {
        model.setOptimizer(new Sgd(0.9, 5e-4), new Cosine(lr, totalSteps));
    }

    static Result run(Settings s, PrintStream out) throws IOException {
        long started = System.nanoTime();
        Dataset train = FashionMnist.load(s.data(), Dataset.Split.TRAIN, s.limit(), out);
        Dataset test = FashionMnist.load(s.data(), Dataset.Split.TEST, s.testLimit(), out);
        Gemm gemm = Threads.gemm(s.threads());
        Files.createDirectories(s.out());
        Path checkpoint = s.out().resolve("checkpoint.safetensors");
        try (ResNet20Net model = new ResNet20Net(gemm, s.seed())) {
            Batches batches = new Batches(train, s.batch(), epochOrder(s, train.size()), false);
            long totalSteps = (long) s.epochs() * batches.batchesPerEpoch();
            useRecipe(model, s.lr(), totalSteps);
            if (s.init() != null) {
                model.load(s.init()); // checked whole before anything is copied
            }
            History history = new History();
            int firstEpoch = 0;
            if (s.resume()) {
                model.loadCheckpoint(checkpoint);
                firstEpoch = (int) (model.step() / batches.batchesPerEpoch());
                history = History.read(s.out().resolve("history.csv"));
                out.printf(Locale.ROOT, "Resumed from %s at step %d (epoch %d)%n", checkpoint, model.step(),
                        firstEpoch);
            }
            out.printf(Locale.ROOT, "ResNet-20: %,d parameters; %,d training and %,d test images; batch %d; %s%n",
                    ResNet20Net.PARAMETER_COUNT, train.size(), test.size(), s.batch(), gemm.describe());
            out.printf(Locale.ROOT, "Initial weights: %s; data order: %s%n",
                    s.init() == null ? "PyTorch's for seed " + s.seed() : "the weights in " + s.init(),
                    s.order() == null ? "a fresh shuffle per epoch, torch.randperm's for seed " + s.seed()
                            : "the orders in " + s.order());
            double imagesPerSecond = 0;
            double accuracy = Double.NaN;
            int lastEpoch = Math.min(s.epochs(), s.stopAfter());
            for (int epoch = firstEpoch; epoch < lastEpoch; epoch++) {
                imagesPerSecond = trainEpoch(model, batches, epoch, s.epochs(), history, out);
                accuracy = evaluate(model, test, s.batch());
                history.epoch(model.step(), accuracy);
                out.printf(Locale.ROOT, "epoch %d/%d: test accuracy %.4f, %.0f images/s, lr now %.5f%n", epoch + 1,
                        s.epochs(), accuracy, imagesPerSecond, model.learningRate());
                model.saveCheckpoint(checkpoint);
                history.write(s.out().resolve("history.csv"));
                history.chart(s.out().resolve("curve.png"));
            }
            if (Double.isNaN(accuracy)) { // resumed after the last epoch: just report
                accuracy = evaluate(model, test, s.batch());
            }
            model.save(s.out().resolve("resnet20.safetensors"));
            double seconds = (System.nanoTime() - started) / 1e9;
            out.printf(Locale.ROOT, "Wrote %s, %s, %s and %s%n", checkpoint, s.out().resolve("resnet20.safetensors"),
                    s.out().resolve("history.csv"), s.out().resolve("curve.png"));
            out.printf(Locale.ROOT,
                    "RESULT model=ResNet20 epochs=%d batch=%d test_accuracy=%.4f train_images_per_s=%.0f seconds=%.0f%n",
                    s.epochs(), s.batch(), accuracy, imagesPerSecond, seconds);
            return new Result(accuracy, imagesPerSecond, seconds, history.losses());
        }
    }

    /** Shuffled with the seed, or the orders of {@code --order} when they cover every epoch of the run. */
    private static EpochOrder epochOrder(Settings s, int samples) throws IOException {
        if (s.order() == null) {
            return EpochOrder.shuffled(s.seed());
        }
        OrderFile file = OrderFile.read(s.order(), samples);
        if (file.epochs() < s.epochs()) {
            throw new IllegalArgumentException("--order " + s.order() + " holds orders for " + file.epochs()
                    + " epochs; the run has " + s.epochs() + ": write one permutation per epoch");
        }
        return file;
    }

    /**
     * {@code --write-order} and {@code --write-init}: the orders a run with this seed visits and the weights it starts
     * from, for another program to replay.
     */
    static void writeStart(Settings s, PrintStream out) throws IOException {
        if (s.writeOrder() != null) {
            int samples = FashionMnist.load(s.data(), Dataset.Split.TRAIN, s.limit(), out).size();
            OrderFile.write(s.writeOrder(), epochOrder(s, samples), s.epochs(), samples); // what run() visits
            out.printf(Locale.ROOT, "Wrote %s: the orders of seed %d, %d epochs of %,d images%n", s.writeOrder(),
                    s.seed(), s.epochs(), samples);
        }
        if (s.writeInit() != null) {
            try (ResNet20Net model = new ResNet20Net(Threads.gemm(1), s.seed())) {
                model.save(s.writeInit());
            }
            out.printf(Locale.ROOT, "Wrote %s: the initial weights of seed %d%n", s.writeInit(), s.seed());
        }
    }

    /** One epoch; returns the training throughput in images per second (training steps only). */
    private static double trainEpoch(ResNet20Net model, Batches batches, int epoch, int epochs, History history,
                                     PrintStream out) {
        batches.startEpoch(epoch);
        Progress progress = Progress.start(epoch + 1, epochs, batches.batchesPerEpoch(), out, Progress.isTerminal());
        long images = 0, nanos = 0, correct = 0;
        double lossSum = 0;
        int index = 0;
        for (int n = batches.next(); n > 0; n = batches.next()) {
            long start = System.nanoTime();
            float loss = model.trainStep(n, batches.images(), batches.labels());
            nanos += System.nanoTime() - start;
            images += n;
            lossSum += loss * n;
            MemorySegment logits = model.logits().output().data();
            correct += SoftmaxCrossEntropy.correct(logits, 0, 10, n, batches.labels());
            history.step(model.step(), loss);
            progress.update(index++, lossSum / images, (double) correct / images, images / (nanos / 1e9));
        }
        double perSecond = images / (nanos / 1e9);
        progress.finish(String.format(Locale.ROOT, "loss %.4f, train accuracy %.4f", lossSum / images,
                (double) correct / images));
        return perSecond;
    }

    /** Accuracy on a data set, in evaluation mode (running statistics). */
    static double evaluate(ResNet20Net model, Dataset data, int batch) {
        Batches batches = new Batches(data, batch, 0, false);
        batches.startEpoch(0);
        float[] logits = new float[batch * 10];
        long correct = 0;
        for (int n = batches.next(); n > 0; n = batches.next()) {
            model.forward(n, batches.images(), logits);
            // the logits layer's view holds the same logits in the channel-major layout the loss helpers read
            correct += SoftmaxCrossEntropy.correct(model.logits().output().data(), 0, 10, n, batches.labels());
        }
        return (double) correct / data.size();
    }

    /** Loss per step and accuracy per epoch, kept for the chart and for resuming. */
    static final class History {
        private final List<double[]> losses = new ArrayList<>();
        private final List<double[]> accuracies = new ArrayList<>();

        void step(long step, double loss) {
            losses.add(new double[] {step, loss});
        }

        List<Double> losses() {
            return losses.stream().map(row -> row[1]).toList();
        }

        void epoch(long step, double accuracy) {
            accuracies.add(new double[] {step, accuracy});
        }

        void write(Path file) throws IOException {
            CsvWriter csv = CsvWriter.withHeader("kind", "step", "value");
            losses.forEach(row -> csv.row("loss", (long) row[0], row[1]));
            accuracies.forEach(row -> csv.row("test_accuracy", (long) row[0], row[1]));
            csv.write(file);
        }

        static History read(Path file) throws IOException {
            History history = new History();
            if (!Files.exists(file)) {
                return history;
            }
            List<String> lines = Files.readAllLines(file);
            for (String line : lines.subList(1, lines.size())) {
                String[] cells = line.split(",");
                double[] row = {Double.parseDouble(cells[1]), Double.parseDouble(cells[2])};
                (cells[0].equals("loss") ? history.losses : history.accuracies).add(row);
            }
            return history;
        }

        void chart(Path png) throws IOException {
            LineChart.titled("ResNet-20 on Fashion-MNIST")
                    .xAxis("training step")
                    .yAxis("training loss")
                    .series("training loss", column(losses, 0), column(losses, 1), LineChart.Style.SOLID)
                    .rightAxis("test accuracy")
                    .rightSeries("test accuracy", column(accuracies, 0), column(accuracies, 1),
                            LineChart.Style.DASHED)
                    .write(png, 900, 500);
        }

        private static double[] column(List<double[]> rows, int index) {
            return rows.stream().mapToDouble(row -> row[index]).toArray();
        }
    }
}
