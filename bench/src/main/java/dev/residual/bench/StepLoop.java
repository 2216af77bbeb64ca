package dev.residual.bench;

import dev.residual.runtime.Threads;

/**
 * Runs one workload in a loop for a while, for a profiler to watch (see {@code bench/layers.py}, which starts it under
 * Java Flight Recorder and turns the samples into a per-layer breakdown). Not a timer: JMH measures.
 *
 * <pre>{@code java -cp bench/target/benchmarks.jar dev.residual.bench.StepLoop resnet20 generated train 128 2 60}</pre>
 * arguments: model, engine ({@code generated} or {@code interpreter}), {@code train} or {@code forward}, batch,
 * threads, seconds.
 */
public final class StepLoop {

    private StepLoop() {}

    public static void main(String[] args) {
        if (args.length != 6) {
            System.err.println("usage: StepLoop <resnet20|resnet56> <generated|interpreter> <train|forward> <batch>"
                    + " <threads> <seconds>");
            System.exit(2);
        }
        String model = args[0], engine = args[1], mode = args[2];
        int batch = Integer.parseInt(args[3]), threads = Integer.parseInt(args[4]);
        long seconds = Long.parseLong(args[5]);
        try (Engine runner = Engine.create(model, engine, Threads.gemm("auto", threads))) {
            float[] images = new float[batch * 28 * 28];
            for (int i = 0; i < images.length; i++) {
                images[i] = (float) Math.sin(i * 0.37);
            }
            float[] logits = new float[batch * 10];
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = i % 10;
            }
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long steps = 0;
            while (System.nanoTime() < end) {
                if (mode.equals("train")) {
                    runner.trainStep(batch, images, labels);
                } else {
                    runner.forward(batch, images, logits);
                }
                steps++;
            }
            System.out.printf("%d %s steps in %d s%n", steps, mode, seconds);
        }
    }
}
