package dev.residual.samples.differential;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.residual.runtime.Tensor;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.gemm.JavaGemm;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.runtime.interpreter.ModelGraph;
import dev.residual.runtime.model.CompiledModel;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Sgd;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.SplittableRandom;

/**
 * The differential check: a generated model and the interpreter of its graph, built from one seed, agree on the
 * parameters they start from, the forward output, the loss, every parameter gradient, and the parameters and running
 * statistics after each update (after which the interpreter takes the generated model's state, so every step is
 * compared from one point) — each to {@link #TOLERANCE} relative (a sequence model gets token ids and a label
 * per position, a segmentation model a label per pixel), {@code max|a − b| / max(max|b|, tiny)} with
 * {@code b} the interpreter's.
 */
final class Agreement {

    static final double TOLERANCE = 1e-5;

    private Agreement() {}

    /** Runs the check with {@code n} samples and {@code steps} training steps; {@code seed} draws the data. */
    static void check(CompiledModel model, Interpreter interpreter, int n, int steps, long seed) throws Throwable {
        for (Tensor tensor : interpreter.stateDict()) {
            assertArrayEquals(tensor.toArray(), model.tensor(tensor.name()).toArray(),
                    "initial " + tensor.name() + ": the same seed must give the same parameters");
        }
        SplittableRandom random = new SplittableRandom(seed);
        ModelGraph graph = interpreter.graph();
        // a sequence model reads token ids (as floats) and takes a label per position
        int vocabulary = graph.nodes().stream().filter(node -> node.kind() == ModelGraph.Kind.EMBEDDING)
                .mapToInt(node -> node.intAttribute("vocabulary")).min().orElse(0);
        float[] input = new float[n * interpreter.inputSize()];
        for (int i = 0; i < input.length; i++) {
            input[i] = vocabulary > 0 ? random.nextInt(vocabulary) : (float) random.nextGaussian();
        }
        int classes = graph.outputShape().channels();
        // a label per sample, per position of a sequence, or per pixel of a segmentation
        int perSample = graph.pixelLoss() ? graph.outputShape().spatial() : graph.inputShape().positions();
        int[] labels = new int[n * perSample];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(classes);
        }
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodHandle forward = lookup.findVirtual(model.getClass(), "forward",
                MethodType.methodType(void.class, int.class, float[].class, float[].class));
        MethodHandle trainStep = lookup.findVirtual(model.getClass(), "trainStep",
                MethodType.methodType(float.class, int.class, float[].class, int[].class));

        int outputs = n * interpreter.outputSize();
        float[] generated = new float[outputs], interpreted = new float[outputs];
        forward.invoke(model, n, input, generated);
        interpreter.forward(n, input, interpreted);
        assertClose("forward output", generated, interpreted);

        model.setOptimizer(new Sgd(0.9, 5e-4), LearningRate.constant(0.05));
        interpreter.setOptimizer(new Sgd(0.9, 5e-4), LearningRate.constant(0.05));
        for (int step = 1; step <= steps; step++) {
            float loss = (float) trainStep.invoke(model, n, input, labels);
            float expected = interpreter.trainStep(n, input, labels);
            assertClose("loss of step " + step, new float[] {loss}, new float[] {expected});
            for (Tensor gradient : model.gradients()) {
                String name = gradient.name().substring("grad.".length());
                assertClose("step " + step + " gradient of " + name, gradient.toArray(),
                        interpreter.gradient(name).toArray());
            }
            for (Tensor tensor : interpreter.stateDict()) {
                float[] updated = model.tensor(tensor.name()).toArray();
                assertClose("step " + step + " " + tensor.name(), updated, tensor.toArray());
                // The next step starts both from the same point, so each step's gradients are compared on the same
                // parameters: the generated code's convolutions (direct 3×3 kernels) round differently from the
                // interpreter's im2col + GEMM, and through a few updates of a small batch that rounding compounds
                // (1.2e-5 relative on ResNet-20's stem gradient at step 2 with 6 samples, not synchronised).
                tensor.copyFrom(updated);
            }
        }
        forward.invoke(model, n, input, generated);
        interpreter.forward(n, input, interpreted);
        assertClose("forward output after training", generated, interpreted);
    }

    /**
     * Compiles a drawn model's source with the processor at test time, then runs {@link #check} with {@code n}
     * samples and 2 steps on the pure-Java GEMM (deterministic, no native library needed); a failure shows the
     * model's source and the seed that drew it.
     */
    static void checkDrawn(String name, String source, int n, long seed) throws Throwable {
        Class<?> generated = MemoryClassLoader.compile("drawn." + name, source).loadClass("drawn." + name + "Net");
        Gemm gemm = new JavaGemm(1);
        try (CompiledModel model = (CompiledModel) generated.getConstructor(Gemm.class, long.class)
                .newInstance(gemm, 3L);
             Interpreter interpreter = Interpreter.of(generated, gemm, 3L)) {
            check(model, interpreter, n, 2, 5L);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nmodel (seed " + seed + "):\n" + source, e);
        }
    }

    /** Relative agreement: {@code max|a − b| / max(max|b|, 1e-30) ≤ 1e-5}. */
    static void assertClose(String what, float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length, what + ": lengths");
        double diff = 0, scale = 0;
        int worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs((double) actual[i] - expected[i]);
            if (!(d <= diff)) {
                diff = d;
                worst = i;
            }
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        double relative = diff / Math.max(scale, 1e-30);
        if (relative > TOLERANCE) {
            throw new AssertionError(what + ": relative difference " + relative + " (generated " + actual[worst]
                    + ", interpreter " + expected[worst] + " at " + worst + ", scale " + scale + ")");
        }
    }
}
