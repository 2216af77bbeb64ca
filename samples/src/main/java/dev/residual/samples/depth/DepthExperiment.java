package dev.residual.samples.depth;

import dev.residual.runtime.Threads;
import dev.residual.runtime.data.Dataset;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.samples.resnet.FashionMnist;
import dev.residual.samples.resnet.Options;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The depth experiment of He et al. (2015), §4.2, on Fashion-MNIST: plain-N and ResNet-N for N = 20, 56, 110 — the
 * same declarations compiled with and without skip additions ({@code @Model(plainTwin)}) — trained with the same
 * seed, data order and hyper-parameters. Writes {@code iterations.csv}, {@code epochs.csv}, {@code loss.png} and
 * {@code table.md} to {@code runs/depth/}; {@code --depth 1000} instead trains a 1,000-layer residual MLP and writes
 * the same files to {@code runs/depth/deep1000/}.
 *
 * <p>Why the defaults (2,560 training images, 1,000 test images, 3 epochs, batch 64): on 2 quiet cores a ResNet-20
 * step at batch 128 takes about 1.2 s, ResNet-56 about 2.8× that and ResNet-110 about 5.5×, and a plain net about as
 * long as its residual twin — some 175 ms per training image for the six nets together. 7,680 training images each
 * (≈ 1,340 s) plus three evaluations of 1,000 images at about a third of that cost (≈ 175 s) make ≈ 25 minutes, under
 * the 30 the experiment is meant to take. Batch 64 gives 40 iterations per epoch, 120 in all: enough points for the
 * loss curves to separate.
 */
public final class DepthExperiment {

    /** The largest batch the nets are compiled for. */
    static final int MAX_BATCH = 128;

    private static final String USAGE = """
            usage: depth [--subset 2560] [--test-subset 1000] [--epochs 3] [--batch 64] [--depths 20,56,110]
                         [--lr 0.1] [--seed 1] [--threads N] [--data DIR] [--out runs/depth] [--depth 1000]
              --subset N       train every net on the same first N training images
              --test-subset N  evaluate on the first N test images after each epoch
              --depths LIST    which depths to compare, from %s
              --depth 1000     train only a 1,000-layer residual MLP (same options), into OUT/deep1000
              --data DIR       a folder with Fashion-MNIST's four IDX files (default: Debian's dataset-fashion-mnist,
                               else the bundled 2,000-image subset)""".formatted(Nets.depths());

    /** What a run is asked to do. */
    record Settings(int subset, int testSubset, int epochs, int batch, List<Integer> depths, double lr, long seed,
                    int threads, Path data, Path out, boolean thousand) {}

    private DepthExperiment() {}

    public static void main(String[] args) {
        Options.main("depth", USAGE, args, options -> {
            Settings settings = new Settings(
                    options.integer("--subset", 2_560, 1, 60_000),
                    options.integer("--test-subset", 1_000, 1, 10_000),
                    options.integer("--epochs", 3, 1, 1_000),
                    options.integer("--batch", 64, 1, MAX_BATCH),
                    depths(options.string("--depths", "20,56,110")),
                    options.decimal("--lr", 0.1),
                    options.integer("--seed", 1, 0, Integer.MAX_VALUE),
                    options.integer("--threads", Runtime.getRuntime().availableProcessors(), 1, 256),
                    options.path("--data", null),
                    options.path("--out", Path.of("runs", "depth")),
                    thousand(options.string("--depth", null)));
            options.done();
            run(settings, System.out);
        });
    }

    /** {@code --depth 1000} asks for the 1,000-layer run; it is the only depth that option takes. */
    static boolean thousand(String depth) {
        if (depth != null && !depth.equals("1000")) {
            throw new IllegalArgumentException("--depth takes only 1000 (the 1,000-layer residual run); for the "
                    + "comparison use --depths " + Nets.depths().toString().replaceAll("[\\[\\] ]", ""));
        }
        return depth != null;
    }

    static List<Integer> depths(String list) {
        List<Integer> depths = new ArrayList<>();
        for (String item : list.split(",")) {
            try {
                int depth = Integer.parseInt(item.trim());
                Nets.of(depth); // throws, naming the depths there are
                depths.add(depth);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--depths takes depths separated by commas, got " + list);
            }
        }
        return List.copyOf(depths);
    }

    /** Trains the nets, writes the report, and returns what each run measured. */
    static List<Trace> run(Settings s, PrintStream out) throws IOException {
        Dataset train = FashionMnist.load(s.data(), Dataset.Split.TRAIN, s.subset(), out);
        Dataset test = FashionMnist.load(s.data(), Dataset.Split.TEST, s.testSubset(), out);
        Gemm gemm = Threads.gemm(s.threads());
        List<Nets.Net> nets = s.thousand() ? List.of(Nets.thousand())
                : s.depths().stream().flatMap(depth -> Nets.of(depth).stream()).toList();
        Path dir = s.thousand() ? s.out().resolve("deep1000") : s.out();
        Files.createDirectories(dir);
        String setup = String.format(Locale.ROOT, "%,d training images (the same order for every net), %,d test "
                        + "images, %d epochs, batch %d, SGD momentum %.1f, weight decay %.0e, learning rate %s with "
                        + "a cosine decay after a %.0f%% warm-up from a tenth, seed %d; %s.",
                train.size(), test.size(), s.epochs(), s.batch(), NetTrainer.MOMENTUM, NetTrainer.WEIGHT_DECAY,
                s.lr(), NetTrainer.WARMUP_FRACTION * 100, s.seed(), gemm.describe());
        out.println(setup);
        NetTrainer trainer = new NetTrainer(s, train, test, gemm, out);
        List<Trace> traces = new ArrayList<>();
        for (Nets.Net net : nets) {
            Trace trace = trainer.train(net);
            traces.add(trace);
            new DepthReport(traces, setup).write(dir); // after every net, so a long run leaves its partial results
            out.printf(Locale.ROOT, "RESULT net=%s train_loss=%.4f test_accuracy=%.4f grad_first_step1=%.3e "
                            + "seconds_per_step=%.3f seconds=%.0f%n", net.name(), trace.lastEpochLoss(),
                    trace.finalAccuracy(), trace.first().gradFirst(), trace.secondsPerStep(), trace.wallSeconds());
        }
        out.println("Wrote " + Arrays.stream(new String[] {DepthReport.ITERATIONS, DepthReport.EPOCHS,
                DepthReport.CHART, DepthReport.TABLE}).map(dir::resolve).map(Path::toString).toList());
        return traces;
    }
}
