package dev.residual.bench;

import dev.residual.runtime.Threads;
import dev.residual.samples.language.Alphabet;
import dev.residual.samples.language.CharModelNet;
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
 * The character-level Transformer ({@code CharModel}: 4 pre-norm layers, d 128, 4 heads, context 32), generated
 * code or the interpreter of its graph ({@code engine}): forward and a full training step (forward, cross-entropy at
 * every position, backward, AdamW update) per batch of sequences. {@code bench/pytorch/char_model_step_time.py}
 * times PyTorch eager on the same model; {@code bench/compare.sh --model charmodel} runs all three side by side. Run
 * with {@code -prof gc} for the allocation per operation (expected: 0 B/op for the generated code).
 *
 * <p>{@code java -jar bench/target/benchmarks.jar CharModelBenchmark -prof gc -p threads=2}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class CharModelBenchmark {

    @Param({"1", "32"})
    public int batch;

    @Param({"2"})
    public int threads;

    @Param({"generated"})
    public String engine;

    private Engine model;
    private float[] tokens;
    private float[] logits;
    private int[] next;

    @Setup(Level.Trial)
    public void setUp() {
        model = Engine.create("charmodel", engine, Threads.gemm("auto", threads)); // GEMM and element-wise kernels
        tokens = new float[batch * CharModelNet.INPUT_SIZE];
        next = new int[batch * CharModelNet.SEQUENCE_LENGTH];
        for (int i = 0; i < next.length; i++) {
            tokens[i] = (i * 7) % Alphabet.SIZE;
            next[i] = (i * 7 + 7) % Alphabet.SIZE;
        }
        logits = new float[batch * CharModelNet.OUTPUT_SIZE];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        model.close();
    }

    @Benchmark
    public float[] forward(StepAllocation allocation) {
        long mark = allocation.mark();
        model.forward(batch, tokens, logits);
        allocation.count(mark);
        return logits;
    }

    @Benchmark
    public float trainStep(StepAllocation allocation) {
        long mark = allocation.mark();
        float loss = model.trainStep(batch, tokens, next);
        allocation.count(mark);
        return loss;
    }
}
