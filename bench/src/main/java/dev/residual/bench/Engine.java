package dev.residual.bench;

import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.interpreter.Interpreter;
import dev.residual.runtime.model.CompiledModel;
import dev.residual.runtime.optim.AdamW;
import dev.residual.runtime.optim.LearningRate;
import dev.residual.runtime.optim.Optimizer;
import dev.residual.runtime.optim.Sgd;
import dev.residual.samples.language.CharModelNet;
import dev.residual.samples.resnet.ResNet20Net;

/**
 * What a benchmark runs — a generated class, or the interpreter of its graph — behind one interface, so both are
 * measured by the same code. Each JMH fork creates one kind only, so the calls stay monomorphic.
 */
interface Engine extends AutoCloseable {

    void forward(int n, float[] input, float[] output);

    float trainStep(int n, float[] input, int[] labels);

    @Override
    void close();

    /** The generated class of a benchmark model: {@code resnet20}, {@code resnet56} or {@code charmodel}. */
    static Class<? extends CompiledModel> modelClass(String model) {
        return switch (model) {
            case "resnet20" -> ResNet20Net.class;
            case "resnet56" -> ResNet56Net.class;
            case "charmodel" -> CharModelNet.class;
            default -> throw unknown(model);
        };
    }

    private static IllegalArgumentException unknown(String model) {
        return new IllegalArgumentException("unknown model " + model + "; known: resnet20, resnet56, charmodel");
    }

    /**
     * {@code engine} is {@code generated} or {@code interpreter}; both start from seed 1 with the model's optimizer
     * ({@link #configure}).
     */
    static Engine create(String model, String engine, Gemm gemm) {
        return switch (engine) {
            case "generated" -> generated(model, gemm);
            case "interpreter" -> interpreter(model, gemm);
            default -> throw new IllegalArgumentException("unknown engine " + engine + "; known: generated, "
                    + "interpreter");
        };
    }

    private static Engine generated(String model, Gemm gemm) {
        Generated engine = switch (model) {
            case "resnet20" -> {
                ResNet20Net net = new ResNet20Net(gemm, 1L);
                yield new Generated(net, net::forward, net::trainStep);
            }
            case "resnet56" -> {
                ResNet56Net net = new ResNet56Net(gemm, 1L);
                yield new Generated(net, net::forward, net::trainStep);
            }
            case "charmodel" -> {
                CharModelNet net = new CharModelNet(gemm, 1L);
                yield new Generated(net, net::forward, net::trainStep);
            }
            default -> throw unknown(model);
        };
        configure(model, engine.model()::setOptimizer);
        return engine;
    }

    /**
     * Sets the benchmark's optimizer: the ResNets' SGD (momentum 0.9, weight decay 5e-4, learning rate 0.01), the
     * language model's AdamW (weight decay 0.01, learning rate 1e-3) — what the PyTorch twins use.
     */
    static void configure(String model, java.util.function.BiConsumer<Optimizer, LearningRate> setOptimizer) {
        if (model.equals("charmodel")) {
            setOptimizer.accept(new AdamW(0.01), LearningRate.constant(1e-3));
        } else {
            setOptimizer.accept(new Sgd(0.9, 5e-4), LearningRate.constant(0.01));
        }
    }

    private static Engine interpreter(String model, Gemm gemm) {
        Interpreter interpreter = Interpreter.of(modelClass(model), gemm, 1L);
        configure(model, interpreter::setOptimizer);
        return new Engine() {
            public void forward(int n, float[] input, float[] output) {
                interpreter.forward(n, input, output);
            }

            public float trainStep(int n, float[] input, int[] labels) {
                return interpreter.trainStep(n, input, labels);
            }

            public void close() {
                interpreter.close();
            }
        };
    }

    /** A generated model's entry points, as bound method references (no reflection, nothing allocated per call). */
    record Generated(CompiledModel model, Forward forward, Train train) implements Engine {

        interface Forward {
            void run(int n, float[] input, float[] output);
        }

        interface Train {
            float run(int n, float[] input, int[] labels);
        }

        public void forward(int n, float[] input, float[] output) {
            forward.run(n, input, output);
        }

        public float trainStep(int n, float[] input, int[] labels) {
            return train.run(n, input, labels);
        }

        public void close() {
            model.close();
        }
    }
}
