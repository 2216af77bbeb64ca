package dev.residual.samples.resnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.Threads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training program on the bundled subset (always present, so CI needs no data package): the loss falls,
 * resuming from a checkpoint continues exactly, a seeded run on one thread repeats bit for bit, and the RESULT line
 * has the documented form.
 */
class TrainResNet20Test {

    /** The subset's folder in this module's resources, as a --data folder. */
    private static final Path SUBSET = Path.of("src/main/resources/fashion-mnist-subset");

    @TempDir
    Path temp;

    private TrainResNet20.Settings settings(int epochs, Path out, boolean resume) {
        return settings(epochs, out, resume, Integer.MAX_VALUE);
    }

    private TrainResNet20.Settings settings(int epochs, Path out, boolean resume, int stopAfter) {
        return withOrder(epochs, out, resume, stopAfter, null, null);
    }

    private TrainResNet20.Settings withOrder(int epochs, Path out, boolean resume, int stopAfter, Path order,
                                             Path writeOrder) {
        return onSubset(epochs, 7, out, resume, stopAfter, order, writeOrder, null, null);
    }

    /** A run of seed {@code seed} on the subset, not resumed, with the given order and initial-weight files. */
    private static TrainResNet20.Settings start(int epochs, long seed, Path out, Path order, Path writeOrder,
                                                Path writeInit, Path init) {
        return onSubset(epochs, seed, out, false, Integer.MAX_VALUE, order, writeOrder, writeInit, init);
    }

    /** Every test's run: the subset's 256 training and 128 test images, batch 64, learning rate 0.1, one thread. */
    private static TrainResNet20.Settings onSubset(int epochs, long seed, Path out, boolean resume, int stopAfter,
                                                   Path order, Path writeOrder, Path writeInit, Path init) {
        return new TrainResNet20.Settings(epochs, 64, 0.1, seed, 1, SUBSET, 256, 128, out, resume, stopAfter, order,
                writeOrder, writeInit, init);
    }

    private static TrainResNet20.Result run(TrainResNet20.Settings settings, ByteArrayOutputStream log)
            throws IOException {
        return TrainResNet20.run(settings, new PrintStream(log, true, StandardCharsets.UTF_8));
    }

    @Test
    void lossFallsAndTheResultLineCanBeParsed() throws IOException {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainResNet20.Result result = run(settings(3, temp.resolve("a"), false), log);
        List<Double> losses = result.losses();
        assertEquals(12, losses.size(), "3 epochs of 256 images in batches of 64");
        double first = (losses.get(0) + losses.get(1)) / 2, last = (losses.get(10) + losses.get(11)) / 2;
        assertTrue(last < first * 0.8, "loss " + first + " → " + last);
        String text = log.toString(StandardCharsets.UTF_8);
        assertTrue(text.lines().anyMatch(line -> line.matches("RESULT model=ResNet20 epochs=3 batch=64 "
                + "test_accuracy=0\\.\\d{4} train_images_per_s=\\d+ seconds=\\d+")), text);
        for (String file : List.of("checkpoint.safetensors", "resnet20.safetensors", "history.csv", "curve.png")) {
            assertTrue(Files.size(temp.resolve("a").resolve(file)) > 0, file);
        }
    }

    @Test
    void resumingContinuesExactlyAndASeededRunRepeats() throws IOException {
        List<Double> straight = run(settings(2, temp.resolve("straight"), false), new ByteArrayOutputStream())
                .losses();
        List<Double> again = run(settings(2, temp.resolve("again"), false), new ByteArrayOutputStream()).losses();
        assertEquals(straight, again, "a seeded run on one thread is bit-identical");

        Path interrupted = temp.resolve("interrupted");
        List<Double> firstHalf = run(settings(2, interrupted, false, 1), new ByteArrayOutputStream()).losses();
        assertEquals(straight.subList(0, 4), firstHalf);
        List<Double> all = run(settings(2, interrupted, true), new ByteArrayOutputStream()).losses();
        assertEquals(straight, all, "epoch 2 after resuming equals epoch 2 of the uninterrupted run");
    }

    @Test
    void aWrittenOrderReplaysTheSeedsRunAndAnotherOrderChangesIt() throws IOException {
        Path orders = temp.resolve("orders.bin");
        TrainResNet20.writeStart(withOrder(2, temp.resolve("w"), false, Integer.MAX_VALUE, null, orders),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(2 * 256 * 8, Files.size(orders), "two epochs of 256 int64 indices");
        List<Double> seeded = run(settings(2, temp.resolve("seeded"), false), new ByteArrayOutputStream()).losses();
        List<Double> replayed = run(withOrder(2, temp.resolve("replayed"), false, Integer.MAX_VALUE, orders, null),
                new ByteArrayOutputStream()).losses();
        assertEquals(seeded, replayed, "the seed's own orders, read from the file, give the same run");

        byte[] bytes = Files.readAllBytes(orders); // swap epoch 1's images 0 and 100: other first and second batches
        byte[] first = Arrays.copyOfRange(bytes, 0, 8);
        System.arraycopy(bytes, 800, bytes, 0, 8);
        System.arraycopy(first, 0, bytes, 800, 8);
        Files.write(orders, bytes);
        List<Double> swapped = run(withOrder(2, temp.resolve("swapped"), false, Integer.MAX_VALUE, orders, null),
                new ByteArrayOutputStream()).losses();
        assertEquals(8, swapped.size());
        assertTrue(!seeded.get(0).equals(swapped.get(0)), "the file's order is the one trained on");
    }

    @Test
    void anOrderFileTooShortForTheRunIsRefusedBeforeTraining() throws IOException {
        Path orders = temp.resolve("one-epoch.bin");
        TrainResNet20.writeStart(withOrder(1, temp.resolve("w"), false, Integer.MAX_VALUE, null, orders),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        Path out = temp.resolve("short");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(withOrder(2, out, false, Integer.MAX_VALUE, orders, null), new ByteArrayOutputStream()));
        assertEquals("--order " + orders + " holds orders for 1 epochs; the run has 2: write one permutation per "
                + "epoch", e.getMessage());
        assertFalse(Files.exists(out.resolve("checkpoint.safetensors")), "nothing trained, nothing written");
    }

    @Test
    void writtenInitialWeightsAreTheSeedsModel() throws IOException {
        Path init = temp.resolve("init.safetensors");
        TrainResNet20.writeStart(start(1, 7, temp.resolve("w"), null, null, init, null),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try (ResNet20Net seeded = new ResNet20Net(Threads.gemm(1), 7);
             ResNet20Net loaded = new ResNet20Net(Threads.gemm(1), 8)) {
            String name = "stage2.0.conv1.0.weight";
            assertTrue(!Arrays.equals(seeded.tensor(name).toArray(), loaded.tensor(name).toArray()),
                    "seeds 7 and 8 start apart");
            loaded.load(init);
            for (Tensor tensor : seeded.stateDict()) {
                assertArrayEquals(tensor.toArray(), loaded.tensor(tensor.name()).toArray(), tensor.name());
            }
        }
    }

    @Test
    void aRunFromAnotherSeedsWrittenStartIsThatSeedsRun() throws IOException {
        Path init = temp.resolve("init.safetensors");
        Path orders = temp.resolve("orders.bin");
        TrainResNet20.writeStart(start(2, 7, temp.resolve("w"), null, orders, init, null),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        List<Double> seven = run(settings(2, temp.resolve("seven"), false), new ByteArrayOutputStream()).losses();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Double> replayed = run(start(2, 8, temp.resolve("eight"), orders, null, null, init), log).losses();
        assertEquals(seven, replayed, "seed 8 started from seed 7's weights on seed 7's orders is seed 7's run");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("Initial weights: the weights in " + init),
                "the run says where its weights came from");
        List<Double> eight = run(start(2, 8, temp.resolve("own"), orders, null, null, null),
                new ByteArrayOutputStream()).losses();
        assertNotEquals(seven.get(0), eight.get(0), "without the file, seed 8 starts from its own weights");
    }

    @Test
    void aTruncatedInitialWeightsFileIsRefusedBeforeTraining() throws IOException {
        Path wrong = temp.resolve("wrong.safetensors");
        try (ResNet20Net model = new ResNet20Net(Threads.gemm(1), 7)) {
            model.save(wrong);
        }
        byte[] bytes = Files.readAllBytes(wrong);
        Files.write(wrong, Arrays.copyOf(bytes, bytes.length - 4)); // truncated: the last tensor is short
        Path out = temp.resolve("refused");
        assertThrows(IOException.class,
                () -> run(start(1, 7, out, null, null, null, wrong), new ByteArrayOutputStream()));
        assertFalse(Files.exists(out.resolve("checkpoint.safetensors")), "nothing trained, nothing written");
    }

    @Test
    void initialWeightsAndResumeExcludeEachOther() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> onSubset(1, 7, temp, true, Integer.MAX_VALUE, null, null, null,
                        temp.resolve("init.safetensors")));
        assertEquals("--init and --resume exclude each other: a resumed run continues from its checkpoint's weights",
                e.getMessage());
    }
}
