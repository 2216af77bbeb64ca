package dev.residual.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mistakes new with U-Nets — skips, upsampling, the per-pixel loss — each one javac error with its code on the
 * line marked {@code //!}, checked as {@link InvalidSpecTest} checks the others.
 */
class UNetSpecTest {

    /** A segmentation model on 1×16×16, batch 2, with an encoder stage {@code enc} (8×16×16) and the given layers. */
    private static String unet(String layers) {
        return "@Model(input = {1, 16, 16}, batch = 2, loss = Loss.PIXEL_CROSS_ENTROPY)\npublic interface M {\n"
                + "  @Conv(filters = 8, kernel = 3, padding = 1) @Norm @Relu Layer enc();\n"
                + "  @Pool(value = MAX, size = 2) Layer down();\n" + layers + "\n"
                + "  @Conv(filters = 3, kernel = 1) Layer logits();\n}\n";
    }

    private static Arguments spec(String name, String code, String message, String body) {
        return Arguments.of(name, code, message, body);
    }

    static Stream<Arguments> specs() {
        return Stream.of(
                spec("skip to a name that does not exist", "RES110", "names no layer of model M",
                        unet("  @Upsample Layer up();\n  @Concat(\"encoder\") Layer cat(); //!")),
                spec("skip to a name that does not exist lists the earlier layers", "RES110", "enc, down, up",
                        unet("  @Upsample Layer up();\n  @Concat(\"encoder\") Layer cat(); //!")),
                spec("skip to a later layer", "RES111", "later, which is declared after it",
                        unet("  @Concat(\"later\") Layer cat(); //!\n  @Upsample Layer later();")),
                spec("skip to itself", "RES111", "the layer itself",
                        unet("  @Upsample Layer up();\n  @Concat(\"cat\") Layer cat(); //!")),
                spec("concatenating mismatched spatial sizes", "RES112", "joins 8×8×8 with 8×16×16",
                        unet("  @Concat(\"enc\") Layer cat(); //!")),
                spec("concatenating after an upsample by the wrong factor", "RES112", "joins 8×32×32 with 8×16×16",
                        unet("  @Upsample(scale = 4) Layer up();\n  @Concat(\"enc\") Layer cat(); //!")),
                spec("concatenating onto a vector", "RES061", "@Concat needs a C×H×W input",
                        "@Model(input = {1, 8, 8}, batch = 2)\npublic interface M {\n"
                                + "  @Conv(filters = 4, kernel = 3, padding = 1) Layer enc();\n"
                                + "  @Dense(units = 4) Layer d();\n"
                                + "  @Concat(\"enc\") Layer cat(); //!\n}\n"),
                spec("skip inside a block", "RES113", "inside block Pair",
                        "@Model(input = {1, 8, 8}, batch = 2)\npublic interface M {\n"
                                + "  @Conv(filters = 4, kernel = 3, padding = 1) Layer enc();\n"
                                + "  @Residual(block = Pair.class) Layer stage();\n"
                                + "  @Block interface Pair {\n"
                                + "    @Concat(\"enc\") Layer cat(); //!\n  }\n}\n"),
                spec("transposed convolution cropping everything", "RES114", "leaves no pixels of input 8×1×1",
                        "@Model(input = {8, 1, 1}, batch = 2)\npublic interface M {\n"
                                + "  @ConvTranspose(filters = 4, kernel = 1, stride = 1, padding = 1) Layer up(); //!\n}\n"),
                spec("transposed convolution without filters", "RES040", "filters = 0",
                        unet("  @ConvTranspose(filters = 0) Layer up(); //!")),
                spec("transposed convolution of stride 0", "RES040", "stride = 0",
                        unet("  @ConvTranspose(filters = 8, stride = 0) Layer up(); //!")),
                spec("transposed convolution with negative padding", "RES041", "padding = -1 on @ConvTranspose",
                        unet("  @ConvTranspose(filters = 8, padding = -1) Layer up(); //!")),
                spec("transposed convolution on a vector", "RES061", "@ConvTranspose needs a C×H×W input",
                        "@Model(input = {16}, batch = 2)\npublic interface M {\n"
                                + "  @ConvTranspose(filters = 4) Layer up(); //!\n}\n"),
                spec("upsample by 0", "RES040", "scale = 0 on @Upsample",
                        unet("  @Upsample(scale = 0) Layer up(); //!")),
                spec("upsample on a vector", "RES061", "@Upsample needs a C×H×W input",
                        "@Model(input = {16}, batch = 2)\npublic interface M {\n"
                                + "  @Upsample Layer up(); //!\n}\n"),
                spec("per-pixel loss on a classifier", "RES115", "ends in 3 features",
                        "@Model(input = {1, 8, 8}, batch = 2, loss = Loss.PIXEL_CROSS_ENTROPY) //!\n"
                                + "public interface M {\n  @Conv(filters = 4, kernel = 3) Layer c();\n"
                                + "  @Dense(units = 3) Layer logits();\n}\n"),
                spec("upsample and concat on one method", "RES031", "one method is one layer",
                        unet("  @Upsample @Concat(\"enc\") Layer up(); //!")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void oneClearErrorOnTheRightLine(String name, String code, String fragment, String body) {
        new InvalidSpecTest().oneClearErrorOnTheRightLine(name, code, fragment, body);
    }

    /** The well-formed U-Net of these cases compiles, with a per-pixel {@code trainStep}. */
    @Test
    void aWellFormedUNetCompiles() {
        String body = unet("  @ConvTranspose(filters = 8) Layer up();\n  @Concat(\"enc\") Layer cat();");
        Compilation compilation = Sources.compile(Sources.model("M", body));
        assertEquals(Compilation.Status.SUCCESS, compilation.status(), () -> compilation.diagnostics().toString());
        String source = GeneratedSourceTest.generated("M", body);
        assertTrue(source.contains("public float trainStep(int n, float[] input, int[] labels)"), source);
        assertTrue(source.contains("checkLabels(labels, n * 256, 3)"), source);
    }
}
