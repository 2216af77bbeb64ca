package dev.residual.samples.language;

import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.Cosine;
import dev.residual.samples.resnet.Options;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Trains {@link CharModel} on a word list, makemore-style: windows of 32 characters from the shuffled words (each
 * ended by a newline), the next character as the label at every position, AdamW with a cosine rate and gradient
 * clipping. Prints the loss as it trains, the loss on held-out words beside the uniform baseline ln 28, a few
 * sampled words, and a line scripts can read: {@code RESULT model=CharModel steps=S train_loss=… val_loss=…
 * uniform_loss=3.3322 seconds=…}.
 */
public final class TrainLanguageModel {

    private static final String USAGE = """
            usage: language [--steps 1500] [--lr 0.001] [--seed 1] [--words FILE] [--samples 12] [--every 50]
              --words FILE  one word a line (default: /usr/share/dict/words, Debian's wamerican)
              --every N     print the loss every N steps (the mean of those N)
              --samples K   words to sample at the end""";

    private static final int T = CharModelNet.SEQUENCE_LENGTH;
    private static final int BATCH = CharModelNet.BATCH;

    private TrainLanguageModel() {}

    public static void main(String[] args) {
        Options.main("language", USAGE, args, options -> {
            int steps = options.integer("--steps", 1500, 1, 1_000_000);
            double lr = options.decimal("--lr", 1e-3);
            long seed = options.integer("--seed", 1, 0, Integer.MAX_VALUE);
            Path file = options.path("--words", Words.DEBIAN);
            int samples = options.integer("--samples", 12, 0, 1000);
            int every = options.integer("--every", 50, 1, 1_000_000);
            options.done();
            run(steps, lr, seed, file, samples, every);
        });
    }

    static void run(int steps, double lr, long seed, Path file, int samples, int every) throws IOException {
        List<String> words = new ArrayList<>(Words.read(file));
        Collections.shuffle(words, new Random(seed));
        int held = Math.max(1, words.size() / 10);
        int[] validation = Words.tokens(words.subList(0, held));
        int[] training = Words.tokens(words.subList(held, words.size()));
        if (training.length <= T + 1 || validation.length <= T + 1) {
            throw new IllegalStateException(file + " is too short: it needs more than " + (T + 1)
                    + " characters of words for training and for validation");
        }
        System.out.printf(Locale.ROOT, "%,d words (%,d for training, %,d held out), %d tokens, context %d%n",
                words.size(), words.size() - held, held, Alphabet.SIZE, T);
        SplittableRandom random = new SplittableRandom(seed);
        float[] input = new float[BATCH * T];
        int[] labels = new int[BATCH * T];
        float[] logits = new float[BATCH * CharModelNet.OUTPUT_SIZE];
        try (CharModelNet model = new CharModelNet(dev.residual.runtime.gemm.Backends.defaultGemm(), seed)) {
            model.setOptimizer(new AdamW(0.01), new Cosine(lr, lr / 10, steps));
            model.setGradientClipping(1.0);
            long start = System.nanoTime();
            double sum = 0, last = Double.NaN;
            for (int step = 1; step <= steps; step++) {
                windows(training, random, input, labels);
                float loss = model.trainStep(BATCH, input, labels);
                sum += loss;
                if (step % every == 0 || step == steps) {
                    int count = step % every == 0 ? every : step % every;
                    last = sum / count;
                    System.out.printf(Locale.ROOT, "step %5d/%d  loss %.4f  (%.1f s)%n", step, steps, last,
                            (System.nanoTime() - start) / 1e9);
                    sum = 0;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double validationLoss = validationLoss(model, validation, input, labels, logits);
            double uniform = Math.log(Alphabet.SIZE);
            System.out.printf(Locale.ROOT, "held-out loss %.4f; a uniform guess scores ln %d = %.4f%n",
                    validationLoss, Alphabet.SIZE, uniform);
            Set<String> known = new HashSet<>(words);
            int real = 0;
            System.out.println("samples:");
            for (int i = 0; i < samples; i++) {
                String word = sample(model, random, input, logits);
                real += known.contains(word) ? 1 : 0;
                System.out.println("  " + word);
            }
            System.out.printf(Locale.ROOT, "%d of %d samples are words of the list; the rest are new%n", real,
                    samples);
            System.out.printf(Locale.ROOT,
                    "RESULT model=CharModel steps=%d train_loss=%.4f val_loss=%.4f uniform_loss=%.4f seconds=%.1f%n",
                    steps, last, validationLoss, uniform, seconds);
        }
    }

    /** {@code BATCH} random windows of the text: the ids of {@code T} characters, and each one's next character. */
    static void windows(int[] text, SplittableRandom random, float[] input, int[] labels) {
        for (int s = 0; s < BATCH; s++) {
            int from = random.nextInt(text.length - T);
            for (int t = 0; t < T; t++) {
                input[s * T + t] = text[from + t];
                labels[s * T + t] = text[from + t + 1];
            }
        }
    }

    /** Mean cross-entropy over every position of consecutive windows of the held-out text (at most 16 batches). */
    static double validationLoss(CharModelNet model, int[] text, float[] input, int[] labels, float[] logits) {
        double total = 0;
        long positions = 0;
        int windows = Math.min(16 * BATCH, (text.length - 1) / T);
        for (int first = 0; first < windows; first += BATCH) {
            int n = Math.min(BATCH, windows - first);
            for (int s = 0; s < n; s++) {
                for (int t = 0; t < T; t++) {
                    input[s * T + t] = text[(first + s) * T + t];
                    labels[s * T + t] = text[(first + s) * T + t + 1];
                }
            }
            model.forward(n, input, logits);
            for (int p = 0; p < n * T; p++) {
                total += crossEntropy(logits, p * Alphabet.SIZE, labels[p]);
            }
            positions += (long) n * T;
        }
        return total / positions;
    }

    /** {@code −log softmax(row)[label]}, in double. */
    private static double crossEntropy(float[] logits, int row, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < Alphabet.SIZE; v++) {
            max = Math.max(max, logits[row + v]);
        }
        double sum = 0;
        for (int v = 0; v < Alphabet.SIZE; v++) {
            sum += Math.exp(logits[row + v] - max);
        }
        return Math.log(sum) + max - logits[row + label];
    }

    /**
     * One word, sampled a character at a time after an end-of-word token. Attention is causal, so the logits at
     * position {@code p} depend on positions {@code ≤ p} only, and the rest of the context may hold anything.
     */
    static String sample(CharModelNet model, SplittableRandom random, float[] input, float[] logits) {
        StringBuilder word = new StringBuilder();
        java.util.Arrays.fill(input, 0, T, Alphabet.END);
        for (int p = 0; p < T - 1; p++) {
            model.forward(1, input, logits);
            int next = draw(logits, p * Alphabet.SIZE, random);
            if (next == Alphabet.END) {
                break;
            }
            word.append(Alphabet.character(next));
            input[p + 1] = next;
        }
        return word.toString();
    }

    /** A token drawn from {@code softmax(row)}. */
    private static int draw(float[] logits, int row, SplittableRandom random) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int v = 0; v < Alphabet.SIZE; v++) {
            max = Math.max(max, logits[row + v]);
        }
        for (int v = 0; v < Alphabet.SIZE; v++) {
            sum += Math.exp(logits[row + v] - max);
        }
        double target = random.nextDouble() * sum;
        for (int v = 0; v < Alphabet.SIZE - 1; v++) {
            target -= Math.exp(logits[row + v] - max);
            if (target < 0) {
                return v;
            }
        }
        return Alphabet.SIZE - 1;
    }
}
