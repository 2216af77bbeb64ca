package dev.residual.runtime.tools;

import dev.residual.runtime.gemm.Backends;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.gemm.OpenBlasGemm;
import dev.residual.runtime.gemm.OpenBlasLocator;
import dev.residual.runtime.ops.DirectConv2d;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code doctor}: what this machine gives Residual. Prints the Java runtime, which GEMM backend loaded and from where,
 * its configuration and thread count, and a short measured sgemm speed at a square shape and at the skinny shape of
 * ResNet-20's first convolution at batch 64.
 *
 * <p>Options: {@code --backend auto|openblas|java} (same as {@code -Dresidual.gemm}), {@code --threads N}.
 */
public final class Doctor {

    /** Shapes measured: m, n, k. */
    private static final int[][] SHAPES = {{1024, 1024, 1024}, {16, 50176, 144}};

    private Doctor() {}

    public static void main(String[] args) {
        String backend = System.getProperty(Backends.BACKEND_PROPERTY, "auto");
        int threads = Backends.threads();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = value(args, ++i);
                case "--threads" -> threads = Integer.parseInt(value(args, ++i));
                case "--help", "-h" -> {
                    System.out.println("usage: doctor [--backend auto|openblas|java] [--threads N]");
                    return;
                }
                default -> {
                    System.err.println("doctor: unknown option " + args[i] + " (try --help)");
                    System.exit(2);
                }
            }
        }
        run(System.out, backend, threads);
    }

    static void run(PrintStream out, String backend, int threads) {
        out.println("Residual doctor");
        out.printf("  java        %s (%s) at %s%n", Runtime.version(), System.getProperty("java.vendor"),
                System.getProperty("java.home"));
        out.printf("  os          %s %s %s, %d processors%n", System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors());
        Gemm gemm = Backends.choose(backend, OpenBlasLocator.fromEnvironment(), threads);
        out.printf("  backend     %s%n", gemm.name());
        if (gemm instanceof OpenBlasGemm blas) {
            out.printf("  loaded from %s (%s)%n", blas.path(), blas.source());
            out.printf("  config      %s%n", blas.config().trim());
            out.printf("  core        %s%n", blas.coreName());
            if (blas.fasterLibraryHint() != null) {
                out.printf("  hint        %s%n", blas.fasterLibraryHint());
            }
        } else {
            out.printf("  details     %s%n", gemm.describe());
        }
        out.printf("  threads     %d%n", gemm.threads());
        out.printf("  direct conv %s%n", DirectConv2d.vectorApiOn()
                ? "on (Vector API): 3×3 stride-1 layers of 8+ channels and 14×14+ pixels skip im2col in the forward"
                        + " and input gradient, and from 20×20 in the weight gradient; at batch ≤ 2, so do the other"
                        + " layers' forwards (kernel > 1×1, 16·k filters)"
                : "off: run java with --add-modules jdk.incubator.vector for the faster 3×3 convolution");
        for (int[] shape : SHAPES) {
            double gflops = measure(gemm, shape[0], shape[1], shape[2]);
            out.printf(Locale.ROOT, "  sgemm       %d×%d×%d: %.1f GFLOP/s%n", shape[0], shape[1], shape[2], gflops);
        }
    }

    /** Median GFLOP/s over repeated calls after a warm-up, about half a second in all. */
    static double measure(Gemm gemm, int m, int n, int k) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = filled(arena, (long) m * k);
            MemorySegment b = filled(arena, (long) k * n);
            MemorySegment c = arena.allocate((long) m * n * Float.BYTES, 64);
            double flops = 2.0 * m * n * k;
            long warmUpEnd = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < warmUpEnd) {
                gemm.sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            }
            double[] seconds = new double[15];
            for (int i = 0; i < seconds.length; i++) {
                long start = System.nanoTime();
                gemm.sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
                seconds[i] = (System.nanoTime() - start) / 1e9;
            }
            Arrays.sort(seconds);
            return flops / seconds[seconds.length / 2] / 1e9;
        }
    }

    private static MemorySegment filled(Arena arena, long count) {
        MemorySegment segment = arena.allocate(count * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 7919 % 1000) / 1000.0 - 0.5));
        }
        return segment;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            System.err.println("doctor: " + args[i - 1] + " needs a value");
            System.exit(2);
        }
        return args[i];
    }
}
