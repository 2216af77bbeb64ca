package dev.residual.samples.depth;

import dev.residual.runtime.Layer;
import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.model.CompiledModel;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The nets of the experiment, by depth: the plain twin and the residual net of each {@code DepthN} declaration. */
final class Nets {

    /** The last layer's weight, whose gradient norm is measured next to the first layer's. */
    static final String LAST_WEIGHT = "logits.weight";

    /** A generated class's {@code (Gemm, long seed)} constructor. */
    interface Factory {
        CompiledModel create(Gemm gemm, long seed);
    }

    /**
     * A net of the experiment: {@code plain-20}, {@code ResNet-20}, …
     *
     * @param firstWeight the first layer's weight, whose gradient norm shows whether gradients vanish
     */
    record Net(String name, int depth, boolean residual, Factory factory, String firstWeight) {

        Instance create(Gemm gemm, long seed) {
            return new Instance(factory.create(gemm, seed));
        }
    }

    private static final Map<Integer, List<Net>> BY_DEPTH = new TreeMap<>(Map.of(
            8, pair(8, Plain8Net::new, ResNet8Net::new),
            14, pair(14, Plain14Net::new, ResNet14Net::new),
            20, pair(20, Plain20Net::new, ResNet20Net::new),
            56, pair(56, Plain56Net::new, ResNet56Net::new),
            110, pair(110, Plain110Net::new, ResNet110Net::new)));

    private Nets() {}

    /** The depths declared: 6n + 2 for n = 1, 2, 3, 9, 18. */
    static List<Integer> depths() {
        return List.copyOf(BY_DEPTH.keySet());
    }

    /** The plain net and the residual net of one depth, in that order. */
    static List<Net> of(int depth) {
        List<Net> nets = BY_DEPTH.get(depth);
        if (nets == null) {
            throw new IllegalArgumentException("no net of depth " + depth + "; the depths are " + depths());
        }
        return nets;
    }

    /**
     * The 1,000-layer residual MLP of the optional {@code --depth 1000} run, with the last norm of every block
     * starting at zero (Goyal et al. 2017), so each block starts as the identity. With PyTorch's default init instead,
     * the 499 branches add up: measured here, the first loss was 19 (not ln 10 ≈ 2.3), the first layer's gradient
     * norm ~10⁴, and the loss rose to ~600 within five steps.
     */
    static Net thousand() {
        return new Net("ResNet-1000", 1000, true, (gemm, seed) -> {
            CompiledModel model = new ResNet1000Net(gemm, seed);
            model.parameters().stream().filter(t -> t.name().matches("body\\.\\d+\\.fc2\\.1\\.weight"))
                    .forEach(t -> t.data().fill((byte) 0));
            return model;
        }, "embed.0.weight");
    }

    private static List<Net> pair(int depth, Factory plain, Factory residual) {
        return List.of(new Net("plain-" + depth, depth, false, plain, "stem.0.weight"),
                new Net("ResNet-" + depth, depth, true, residual, "stem.0.weight"));
    }

    /**
     * One generated model with its {@code trainStep} and {@code forward} on arrays. Every generated classifier has
     * both, but no common type declares them, so they are looked up once by signature; a call through the handle
     * costs nothing next to a training step.
     */
    static final class Instance implements AutoCloseable {

        private static final MethodType TRAIN = MethodType.methodType(float.class, int.class, float[].class,
                int[].class);
        private static final MethodType FORWARD = MethodType.methodType(void.class, int.class, float[].class,
                float[].class);

        private final CompiledModel model;
        private final MethodHandle train;
        private final MethodHandle forward;

        Instance(CompiledModel model) {
            this.model = model;
            try {
                MethodHandles.Lookup lookup = MethodHandles.publicLookup();
                this.train = lookup.findVirtual(model.getClass(), "trainStep", TRAIN).bindTo(model);
                this.forward = lookup.findVirtual(model.getClass(), "forward", FORWARD).bindTo(model);
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException(model.getClass().getSimpleName() + " is not a trainable classifier",
                        e);
            }
        }

        CompiledModel model() {
            return model;
        }

        /** The logits layer's view: its output holds the last pass's logits, channel-major. */
        Layer logits() {
            return model.layers().getLast();
        }

        float trainStep(int n, float[] images, int[] labels) {
            try {
                return (float) train.invokeExact(n, images, labels);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        void forward(int n, float[] images, float[] logits) {
            try {
                forward.invokeExact(n, images, logits);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
