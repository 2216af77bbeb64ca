package dev.residual.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compilation.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/**
 * The generated sources, compared as plain text with golden files (so a change to the generator shows up as a
 * readable diff in review), their stability across builds, and the size of every generated method.
 *
 * <p>To accept a deliberate change: run with {@code -Dresidual.updateGolden=true} once, review the diff of
 * {@code src/test/resources/golden}, commit it.
 */
class GeneratedSourceTest {

    static final String TINY = """
            @Model(input = {1, 12, 12}, batch = 4)
            public interface Tiny {
                @Conv(filters = 4, kernel = 3, padding = 1) @Norm @Relu Layer stem();
                @Pool(value = MAX, size = 2) Layer down();
                @Dense(units = 3) Layer logits();
            }
            """;

    static final String TINY_RESIDUAL = """
            @Model(input = {2, 7, 7}, batch = 3)
            public interface TinyResidual {
                @Conv(filters = 4, kernel = 3, padding = 1) @Norm @Relu Layer stem();
                @Residual(block = Pair.class, repeat = 2, filters = 8, stride = 2) Layer stage();
                @Pool(GLOBAL_AVERAGE) Layer pool();
                @Dense(units = 2) Layer logits();

                @Block interface Pair {
                    @Conv(kernel = 3, padding = 1, stride = Conv.BLOCK) @Norm @Relu Layer conv1();
                    @Conv(kernel = 3, padding = 1) @Norm Layer conv2();
                }
            }
            """;

    /** TinyResidual's stage, declared once, compiled with skips (TinyTwinNet) and without (TinyPlainNet). */
    static final String TINY_TWIN = TINY_RESIDUAL.replace("batch = 3)", "batch = 3, plainTwin = \"TinyPlainNet\")")
            .replace("TinyResidual", "TinyTwin");

    /** A sequence model: token and positional embeddings, one pre-norm Transformer layer, per-position logits. */
    static final String TINY_TRANSFORMER = """
            @Model(input = {5}, vocabulary = 7, batch = 2)
            public interface TinyTransformer {
                @Embedding(dim = 8) @PositionalEmbedding Layer embed();
                @Residual(block = SelfAttention.class, activation = NONE) Layer attn();
                @Residual(block = Mlp.class, activation = NONE) Layer mlp();
                @Norm(kind = LAYER) Layer norm();
                @Dense(units = 7) Layer logits();

                @Block interface SelfAttention {
                    @Norm(kind = LAYER) Layer norm();
                    @Attention(heads = 2, causal = true) Layer attn();
                }

                @Block interface Mlp {
                    @Norm(kind = LAYER) Layer norm();
                    @Dense(units = 16) @Gelu Layer up();
                    @Dense(units = 8) Layer down();
                }
            }
            """;

    /** A two-level U-Net: max-pool down, one transposed-convolution and one nearest upsampling, two skips. */
    static final String TINY_UNET = """
            @Model(input = {1, 8, 8}, batch = 2, loss = Loss.PIXEL_CROSS_ENTROPY)
            public interface TinyUNet {
                @Conv(filters = 4, kernel = 3, padding = 1) @Norm @Relu Layer enc1();
                @Pool(value = MAX, size = 2) Layer down1();
                @Conv(filters = 8, kernel = 3, padding = 1) @Norm @Relu Layer enc2();
                @Pool(value = MAX, size = 2) Layer down2();
                @Conv(filters = 8, kernel = 3, padding = 1) @Norm @Relu Layer bottom();
                @ConvTranspose(filters = 8, kernel = 2, stride = 2) Layer up2();
                @Concat("enc2") Layer cat2();
                @Conv(filters = 8, kernel = 3, padding = 1) @Norm @Relu Layer dec2();
                @Upsample(scale = 2) Layer up1();
                @Concat("enc1") Layer cat1();
                @Conv(filters = 4, kernel = 3, padding = 1) @Norm @Relu Layer dec1();
                @Conv(filters = 3, kernel = 1) Layer logits();
            }
            """;

    static String generated(String model, String body) {
        return generated(model, body, model + "Net");
    }

    private static String generated(String model, String body, String generatedClass) {
        Compilation compilation = Sources.compile(Sources.model(model, body));
        assertEquals(Status.SUCCESS, compilation.status(), () -> compilation.diagnostics().toString());
        try {
            return compilation.generatedSourceFile("test." + generatedClass).orElseThrow().getCharContent(true)
                    .toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void assertMatchesGolden(String model, String body) throws IOException {
        assertMatchesGolden(model, body, model + "Net");
    }

    private static void assertMatchesGolden(String model, String body, String generatedClass) throws IOException {
        String resource = "golden/" + generatedClass + ".java.txt";
        if (Boolean.getBoolean("residual.updateGolden")) {
            Files.writeString(Path.of("src/test/resources", resource), generated(model, body, generatedClass),
                    StandardCharsets.UTF_8);
            return;
        }
        try (InputStream in = GeneratedSourceTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertTrue(in != null, "missing " + resource + "; run with -Dresidual.updateGolden=true");
            String golden = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(Sources.compile(Sources.model(model, body))).generatedSourceFile("test." + generatedClass)
                    .contentsAsUtf8String().isEqualTo(golden);
        }
    }

    @Test
    void tinyMatchesGolden() throws IOException {
        assertMatchesGolden("Tiny", TINY);
    }

    @Test
    void tinyResidualMatchesGolden() throws IOException {
        assertMatchesGolden("TinyResidual", TINY_RESIDUAL);
    }

    @Test
    void plainTwinMatchesGolden() throws IOException {
        assertMatchesGolden("TinyTwin", TINY_TWIN, "TinyPlainNet");
    }

    /** The twin with skips is the ordinary residual class: only the interface's name differs. */
    @Test
    void plainTwinLeavesTheResidualClassAsItWas() {
        assertEquals(generated("TinyResidual", TINY_RESIDUAL).replace("TinyResidual", "TinyTwin"),
                generated("TinyTwin", TINY_TWIN));
    }

    @Test
    void tinyTransformerMatchesGolden() throws IOException {
        assertMatchesGolden("TinyTransformer", TINY_TRANSFORMER);
    }

    @Test
    void tinyUNetMatchesGolden() throws IOException {
        assertMatchesGolden("TinyUNet", TINY_UNET);
    }

    @Test
    void outputIsByteIdenticalAcrossBuilds() {
        assertEquals(generated("TinyResidual", TINY_RESIDUAL), generated("TinyResidual", TINY_RESIDUAL));
    }

    @Test
    void generatedSourceHasNoTimestamp() {
        String source = generated("Tiny", TINY);
        assertTrue(source.contains("@Generated(\"dev.residual.processor.ResidualProcessor\")"), source);
        assertTrue(!source.contains("date ="), source);
    }

    /** HotSpot does not JIT-compile a method above 8,000 bytes of bytecode; stay well under it. */
    @Test
    void everyGeneratedMethodIsWellUnderTheJitLimit() {
        assertMethodsWellUnderTheJitLimit("Deep", RESNET_110, 50);
    }

    /** The U-Net's skip, upsampling and transposed-convolution methods too. */
    @Test
    void everyGeneratedUNetMethodIsWellUnderTheJitLimit() {
        assertMethodsWellUnderTheJitLimit("TinyUNet", TINY_UNET, 24);
    }

    /**
     * 1,000 weight layers: 5,000 parameter-table entries (a single initializer would pass the 64 KiB method limit)
     * and a stage of 499 blocks (one method calling them all would pass 2,000 bytes).
     */
    @Test
    void aThousandLayerModelCompilesWithEveryMethodWellUnderTheJitLimit() {
        String mlp = """
                @Model(input = {1, 28, 28}, batch = 16)
                public interface Thousand {
                    @Dense(units = 32) @Norm @Relu Layer embed();
                    @Residual(block = Pair.class, repeat = 499) Layer body();
                    @Dense(units = 10) Layer logits();

                    @Block interface Pair {
                        @Dense(units = 32) @Norm @Relu Layer fc1();
                        @Dense(units = 32) @Norm Layer fc2();
                    }
                }
                """;
        assertMethodsWellUnderTheJitLimit("Thousand", mlp, 1_000);
    }

    private static final String RESNET_110 = """
                @Model(input = {1, 28, 28}, batch = 128)
                public interface Deep {
                    @Conv(filters = 16, kernel = 3, padding = 1) @Norm @Relu Layer stem();
                    @Residual(block = Basic.class, repeat = 18, filters = 16) Layer stage1();
                    @Residual(block = Basic.class, repeat = 18, filters = 32, stride = 2) Layer stage2();
                    @Residual(block = Basic.class, repeat = 18, filters = 64, stride = 2) Layer stage3();
                    @Pool(GLOBAL_AVERAGE) Layer pool();
                    @Dense(units = 10) Layer logits();

                    @Block interface Basic {
                        @Conv(kernel = 3, padding = 1, stride = Conv.BLOCK) @Norm @Relu Layer conv1();
                        @Conv(kernel = 3, padding = 1) @Norm Layer conv2();
                    }
                }
                """; // ResNet-110

    private static void assertMethodsWellUnderTheJitLimit(String modelName, String source, int minimumMethods) {
        Compilation compilation = Sources.compile(Sources.model(modelName, source));
        assertEquals(Status.SUCCESS, compilation.status(), () -> compilation.diagnostics().toString());
        JavaFileObject classFile = compilation.generatedFile(javax.tools.StandardLocation.CLASS_OUTPUT,
                "test/" + modelName + "Net.class").orElseThrow();
        ClassModel model = ClassFile.of().parse(bytes(classFile));
        int methods = 0;
        for (MethodModel method : model.methods()) {
            String name = method.methodName().stringValue();
            int size = method.findAttribute(Attributes.code()).map(code -> code.codeLength()).orElse(0);
            // The static initializer runs once, in the interpreter; only the 64 KiB class-file limit applies to it.
            int limit = name.equals("<clinit>") ? 65_535 / 2 : 2_000;
            assertTrue(size <= limit, name + " has " + size + " bytes of bytecode, limit " + limit);
            methods++;
        }
        assertTrue(methods > minimumMethods, "one method per layer and block expected, found " + methods);
    }

    private static byte[] bytes(JavaFileObject file) {
        try (InputStream in = file.openInputStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
