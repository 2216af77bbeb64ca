package dev.residual.bench;

import dev.residual.runtime.Threads;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.ops.Conv2d;
import dev.residual.runtime.ops.DirectConv2d;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * ResNet-20's 3×3 stride-1 convolutions, one layer at a time, as the interpreter runs them ({@code Conv2d}: im2col and
 * OpenBLAS) and as the generated code does ({@code DirectConv2d}: a direct kernel where one pays, else the same
 * im2col). Both run with the same threads ({@code -p threads}). {@code backward} is the weight and input gradients.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar ConvBenchmark -p batch=1,128}. Which kernel a layer takes is
 * printed at set-up; {@code -jvmArgsAppend -Dresidual.directConv=false} makes both kernels im2col.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class ConvBenchmark {

    /** Channels (in and out) and image size of the stage-1, -2 and -3 layers. */
    @Param({"16x28", "32x14", "64x7"})
    public String layer;

    @Param({"1", "128"})
    public int batch;

    @Param({"im2col", "generated"})
    public String kernel;

    @Param({"2"})
    public int threads;

    private Arena arena;
    private Gemm gemm;
    private MemorySegment in, weight, out, dWeight, dIn, col;
    private int C, H;
    /** Whether {@link #kernel} is the generated code's; read once, not per call. */
    private boolean generated;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = layer.split("x");
        C = Integer.parseInt(parts[0]);
        H = Integer.parseInt(parts[1]);
        gemm = Threads.gemm("auto", threads); // GEMM and element-wise kernels, as NetworkBenchmark
        arena = Arena.ofShared();
        long map = (long) C * batch * H * H;
        SplittableRandom random = new SplittableRandom(1);
        in = random(map, random);
        weight = random((long) C * C * 9, random);
        out = random(map, random);
        dWeight = arena.allocate((long) C * C * 9 * Float.BYTES, 64);
        dIn = arena.allocate(map * Float.BYTES, 64);
        col = arena.allocate(Math.max(1, Conv2d.scratchSize(C, H, H, C, 3, 1, 1, batch)) * Float.BYTES, 64);
        generated = kernel.equals("generated");
        String path = !generated ? "im2col"
                : DirectConv2d.acrossFilters(C, H, H, C, 3, 1, 1, batch) ? "direct across filters (DirectSmallBatch)"
                : DirectConv2d.direct(C, H, H, 3, 1, 1) ? "direct 3×3" : "im2col";
        System.out.println("# " + layer + " batch " + batch + ", " + kernel + " forward: " + path);
    }

    private MemorySegment random(long floats, SplittableRandom random) {
        MemorySegment segment = arena.allocate(floats * Float.BYTES, 64);
        for (long i = 0; i < floats; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) random.nextDouble(-1, 1));
        }
        return segment;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void forward() {
        if (generated) {
            DirectConv2d.forward(gemm, in, 0, C, H, H, batch, weight, 0, C, 3, 1, 1, null, 0, out, 0, col, 0);
        } else {
            Conv2d.forward(gemm, in, 0, C, H, H, batch, weight, 0, C, 3, 1, 1, null, 0, out, 0, col, 0);
        }
    }

    @Benchmark
    public void backward() {
        if (generated) {
            DirectConv2d.backward(gemm, in, 0, C, H, H, batch, weight, 0, C, 3, 1, 1, out, 0, dWeight, 0, null, 0,
                    dIn, 0, false, col, 0);
        } else {
            Conv2d.backward(gemm, in, 0, C, H, H, batch, weight, 0, C, 3, 1, 1, out, 0, dWeight, 0, null, 0,
                    dIn, 0, false, col, 0);
        }
    }
}
