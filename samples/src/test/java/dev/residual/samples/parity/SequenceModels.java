package dev.residual.samples.parity;

import dev.residual.runtime.gemm.Gemm;
import dev.residual.runtime.model.CompiledModel;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The sequence models that have a PyTorch twin in {@code src/test/python/make_golden_transformer.py}, each with its
 * golden file name — the shapes the parity and differential tests run. Generated classes share no
 * {@code forward}/{@code trainStep} interface, so {@link #forward} and {@link #trainStep} call them by signature.
 */
public enum SequenceModels {
    TINY_GPT("tiny_gpt", TinyGptNet::new),
    ODD_HEADS_GPT("odd_heads_gpt", OddHeadsGptNet::new),
    DEEP_ENCODER("deep_encoder", DeepEncoderNet::new),
    SINGLE_HEAD_NO_BIAS("single_head_no_bias", SingleHeadNoBiasNet::new),
    MIXED_SEQUENCE("mixed_sequence", MixedSequenceNet::new),
    ONE_TOKEN("one_token", OneTokenNet::new);

    /** A generated class's {@code (Gemm, long seed)} constructor. */
    public interface Factory {
        CompiledModel create(Gemm gemm, long seed);
    }

    private static final MethodType FORWARD = MethodType.methodType(void.class, int.class, float[].class,
            float[].class);
    private static final MethodType TRAIN_STEP = MethodType.methodType(float.class, int.class, float[].class,
            int[].class);

    private final String golden;
    private final Factory factory;

    SequenceModels(String golden, Factory factory) {
        this.golden = golden;
        this.factory = factory;
    }

    /** The name of the golden files: {@code <golden>.safetensors}, {@code <golden>.train.safetensors}. */
    public String golden() {
        return golden;
    }

    public CompiledModel create(Gemm gemm, long seed) {
        return factory.create(gemm, seed);
    }

    /** The generated {@code forward(n, input, output)} on arrays. */
    public static void forward(CompiledModel model, int n, float[] input, float[] output) throws Throwable {
        MethodHandles.publicLookup().findVirtual(model.getClass(), "forward", FORWARD)
                .invoke(model, n, input, output);
    }

    /** The generated {@code trainStep(n, input, labels)} on arrays. */
    public static float trainStep(CompiledModel model, int n, float[] input, int[] labels) throws Throwable {
        return (float) MethodHandles.publicLookup().findVirtual(model.getClass(), "trainStep", TRAIN_STEP)
                .invoke(model, n, input, labels);
    }

    @Override
    public String toString() {
        return golden;
    }
}
