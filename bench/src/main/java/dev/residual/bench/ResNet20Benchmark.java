package dev.residual.bench;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.OpenBlasLocator;
import dev.residual.runtime.ops.Workers;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Sgd;
import dev.residual.samples.resnet.ResNet20Net;
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
 * The generated ResNet-20 (W1/W3): forward (inference) and a full training step (forward, cross-entropy, backward,
 * SGD update) per batch size. Run with {@code -prof gc} to see the allocation per operation (expected: 0 B/op).
 *
 * <p>{@code java -jar bench/target/benchmarks.jar ResNet20Benchmark -prof gc -p threads=2}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ResNet20Benchmark {

    @Param({"1", "64", "128"})
    public int batch;

    @Param({"2"})
    public int threads;

    private ResNet20Net model;
    private float[] images;
    private float[] logits;
    private int[] labels;

    @Setup(Level.Trial)
    public void setUp() {
        model = new ResNet20Net(Backends.choose("auto", OpenBlasLocator.fromEnvironment(), threads), 1);
        Workers.shared().setThreads(threads); // the element-wise kernels use as many threads as the GEMM
        model.setOptimizer(new Sgd(0.9, 5e-4), LearningRate.constant(0.01));
        images = new float[batch * ResNet20Net.INPUT_SIZE];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) Math.sin(i * 0.37);
        }
        logits = new float[batch * ResNet20Net.OUTPUT_SIZE];
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = i % 10;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    @Benchmark
    public float[] forward() {
        model.forward(batch, images, logits);
        return logits;
    }

    @Benchmark
    public float trainStep() {
        return model.trainStep(batch, images, labels);
    }
}
