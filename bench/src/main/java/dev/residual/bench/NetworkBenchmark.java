package dev.residual.bench;

import dev.residual.runtime.Threads;
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
 * ResNet-20 and ResNet-56 (W1/W3), generated code against the interpreter of the same graph: inference and a full
 * training step (forward, cross-entropy, backward, SGD update) per batch size. Run with {@code -prof gc} for the
 * allocation per operation of the whole JVM, and {@link StepAllocation} for the step's own (generated: 0 B). The
 * issue's set: forward at batch 1, 64, 128, the training step at 64 and 128:
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar 'NetworkBenchmark.forward' -p batch=1,64,128 -prof gc
 * java -jar bench/target/benchmarks.jar 'NetworkBenchmark.trainStep' -p batch=64,128 -prof gc
 * </pre>
 *
 * {@code bench/compare.sh} runs them in sample mode (for medians) beside PyTorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class NetworkBenchmark {

    @Param({"resnet20", "resnet56"})
    public String model;

    @Param({"generated", "interpreter"})
    public String engine;

    @Param({"1", "64", "128"})
    public int batch;

    @Param({"2"})
    public int threads;

    private Engine runner;
    private float[] images;
    private float[] logits;
    private int[] labels;

    @Setup(Level.Trial)
    public void setUp() {
        runner = Engine.create(model, engine, Threads.gemm("auto", threads)); // GEMM and element-wise kernels
        images = new float[batch * 28 * 28];
        for (int i = 0; i < images.length; i++) {
            images[i] = (float) Math.sin(i * 0.37);
        }
        logits = new float[batch * 10];
        labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = i % 10;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        runner.close();
    }

    @Benchmark
    public float[] forward(StepAllocation allocation) {
        long mark = allocation.mark();
        runner.forward(batch, images, logits);
        allocation.count(mark);
        return logits;
    }

    @Benchmark
    public float trainStep(StepAllocation allocation) {
        long mark = allocation.mark();
        float loss = runner.trainStep(batch, images, labels);
        allocation.count(mark);
        return loss;
    }
}
