package dev.residual.processor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compilation.Status;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.StandardLocation;
import org.junit.jupiter.api.Test;

/**
 * The graph resource the interpreter reads, {@code <GeneratedClass>.graph} beside the class: compared with a golden
 * file, and stable across builds. To accept a deliberate change: run with {@code -Dresidual.updateGolden=true}.
 */
class GraphResourceTest {

    private static String resource(String model, String body) throws IOException {
        Compilation compilation = Sources.compile(Sources.model(model, body));
        assertEquals(Status.SUCCESS, compilation.status(), () -> compilation.diagnostics().toString());
        return compilation.generatedFile(StandardLocation.CLASS_OUTPUT, "test/" + model + "Net.graph").orElseThrow()
                .getCharContent(true).toString();
    }

    @Test
    void tinyResidualGraphMatchesGolden() throws IOException {
        String golden = "golden/TinyResidualNet.graph.txt";
        String actual = resource("TinyResidual", GeneratedSourceTest.TINY_RESIDUAL);
        if (Boolean.getBoolean("residual.updateGolden")) {
            Files.writeString(Path.of("src/test/resources", golden), actual, StandardCharsets.UTF_8);
            return;
        }
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(golden)) {
            assertTrue(in != null, "missing " + golden + "; run with -Dresidual.updateGolden=true");
            assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), actual);
        }
    }

    @Test
    void tinyUNetGraphHasItsSkipsUpsamplingAndLoss() throws IOException {
        String graph = resource("TinyUNet", GeneratedSourceTest.TINY_UNET);
        assertTrue(graph.contains("node conv_transpose up2 11 12 image:8,4,4 filters=8 kernel=2 stride=2 padding=0"
                + " bias=true\n"), graph);
        assertTrue(graph.contains("param up2.weight 8,8,2,2 trainable kaiming_uniform 32 up2\n"), graph);
        assertTrue(graph.contains("node concat cat2 12,7 13 image:16,4,4\n"), graph);
        assertTrue(graph.contains("node upsample up1 16 17 image:8,8,8 scale=2\n"), graph);
        assertTrue(graph.contains("node concat cat1 17,3 18 image:12,8,8\n"), graph);
        assertTrue(graph.endsWith("loss pixel_cross_entropy\n"), graph);
    }

    @Test
    void graphIsIdenticalAcrossBuilds() throws IOException {
        assertEquals(resource("Tiny", GeneratedSourceTest.TINY), resource("Tiny", GeneratedSourceTest.TINY));
    }

    @Test
    void everyNodeAndParameterIsListed() throws IOException {
        String graph = resource("Tiny", GeneratedSourceTest.TINY);
        assertEquals(5, graph.lines().filter(line -> line.startsWith("node ")).count(), graph);
        assertTrue(graph.contains("param stem.0.weight 4,1,3,3 trainable kaiming_uniform 9 stem.0\n"), graph);
        assertTrue(graph.contains("param stem.1.running_var 4 buffer ones 0 stem.1\n"), graph);
        assertTrue(graph.contains("node dense logits 4 5 vector:3 units=3 bias=true\n"), graph);
    }
}
