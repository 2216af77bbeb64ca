package dev.residual.samples.resnet;

import dev.residual.runtime.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Loads a trained ResNet-20 and classifies test images: prints each prediction with its class name and
 * probability, the accuracy over the images shown, and the median latency of one image (batch 1).
 */
public final class Classify {

    private static final String USAGE = """
            usage: classify [--weights runs/resnet20/resnet20.safetensors] [--count 10] [--data DIR]
              --weights FILE  a checkpoint written by train (weights or a full checkpoint)
              --count N       how many test images to classify and print""";

    private Classify() {}

    public static void main(String[] args) {
        Options.main("classify", USAGE, args, options -> {
            Path weights = options.path("--weights", Path.of("runs", "resnet20", "resnet20.safetensors"));
            int count = options.integer("--count", 10, 1, 10_000);
            Path data = options.path("--data", null);
            options.done();
            run(weights, count, data);
        });
    }

    private static void run(Path weights, int count, Path data) throws IOException {
        Dataset test = FashionMnist.load(data, Dataset.Split.TEST, Math.max(count, 1), System.out);
        List<String> names = Dataset.FASHION_MNIST_CLASS_NAMES;
        try (ResNet20Net model = new ResNet20Net()) {
            model.load(weights);
            float[] image = new float[ResNet20Net.INPUT_SIZE];
            float[] logits = new float[ResNet20Net.OUTPUT_SIZE];
            int correct = 0;
            for (int i = 0; i < Math.min(count, test.size()); i++) {
                test.copySample(i, image, 0);
                model.forward(1, image, logits);
                int best = argmax(logits);
                double probability = softmax(logits)[best];
                boolean right = best == test.label(i);
                correct += right ? 1 : 0;
                System.out.printf(Locale.ROOT, "image %4d: %-12s (%.1f%%)  truth %-12s %s%n", i, names.get(best),
                        100 * probability, names.get(test.label(i)), right ? "" : "✗");
            }
            System.out.printf(Locale.ROOT, "%d of %d correct%n", correct, Math.min(count, test.size()));
            System.out.printf(Locale.ROOT, "latency at batch 1: %.3f ms (median of 500, after 2 s of warm-up)%n",
                    latency(model, image, logits));
        }
    }

    /**
     * The median of 500 timed passes after 2 s of untimed ones, as JMH's warm-up gives the JIT several seconds: after
     * 300 passes (about 1 s) three runs gave 4.1–4.4 ms, after 2 s six runs gave 2.8–4.9 ms (median 3.6) on the 2-core
     * machine. The spread between runs is the JVM's, not the model's: each run compiles the kernels its own way.
     */
    private static double latency(ResNet20Net model, float[] image, float[] logits) {
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warmUntil) {
            model.forward(1, image, logits);
        }
        double[] millis = new double[500];
        for (int i = 0; i < millis.length; i++) {
            long start = System.nanoTime();
            model.forward(1, image, logits);
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        return millis[millis.length / 2];
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }

    private static double[] softmax(float[] logits) {
        double max = logits[argmax(logits)], sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
