package dev.residual.bench;

import dev.residual.runtime.Threads;
import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.samples.segmentation.Shapes;
import dev.residual.samples.segmentation.UNetNet;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The generated U-Net of the segmentation sample ({@code UNet}: 1×32×32 in, two levels, a transposed convolution, a
 * nearest upsampling, two concatenated skips, 4 classes per pixel): forward and a full training step (forward,
 * per-pixel cross-entropy, backward, AdamW update) on a batch of 16 images of the sample's task.
 * {@code bench/pytorch/unet_step_time.py} times PyTorch eager on the same model. Run with {@code -prof gc} for the
 * allocation per operation (expected: 0 B/op).
 *
 * <p>{@code java -jar bench/target/benchmarks.jar UNetBenchmark -prof gc -p threads=2}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class UNetBenchmark {

    @Param({"2"})
    public int threads;

    private UNetNet model;
    private float[] images;
    private int[] labels;
    private float[] scores;

    @Setup(Level.Trial)
    public void setUp() {
        model = new UNetNet(Threads.gemm("auto", threads), 1); // the GEMM and the element-wise kernels alike
        model.setOptimizer(new AdamW(0.01), LearningRate.constant(1e-3));
        int pixels = Shapes.SIZE * Shapes.SIZE;
        images = new float[UNetNet.BATCH * pixels];
        labels = new int[UNetNet.BATCH * pixels];
        Shapes.batch(new SplittableRandom(1), images, labels, UNetNet.BATCH);
        scores = new float[UNetNet.BATCH * UNetNet.OUTPUT_SIZE];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    @Benchmark
    public float[] forward() {
        model.forward(UNetNet.BATCH, images, scores);
        return scores;
    }

    @Benchmark
    public float trainStep() {
        return model.trainStep(UNetNet.BATCH, images, labels);
    }
}
