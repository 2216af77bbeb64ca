package dev.residual.samples.depth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny run of the experiment writes every file, with finite numbers for every net. */
class DepthExperimentTest {

    @TempDir
    Path out;

    @Test
    void aTinyRunWritesTheCsvTheChartAndTheTable() throws IOException {
        var settings = new DepthExperiment.Settings(128, 64, 1, 64, List.of(8, 14), 0.1, 1, 1, null, out, false);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        List<Trace> traces = DepthExperiment.run(settings, new PrintStream(log, true, StandardCharsets.UTF_8));

        assertEquals(List.of("plain-8", "ResNet-8", "plain-14", "ResNet-14"),
                traces.stream().map(t -> t.net.name()).toList());
        List<String> iterations = Files.readAllLines(out.resolve(DepthReport.ITERATIONS));
        assertEquals(1 + 4 * 2, iterations.size(), "a header and two steps of each net");
        for (String row : iterations.subList(1, iterations.size())) {
            String[] cells = row.split(",");
            for (int column = 5; column < cells.length; column++) { // loss, both gradient norms, step and total seconds
                double value = Double.parseDouble(cells[column]);
                assertTrue(Double.isFinite(value) && value > 0, row);
            }
        }
        List<String> epochs = Files.readAllLines(out.resolve(DepthReport.EPOCHS));
        assertEquals(1 + 4, epochs.size());
        for (String row : epochs.subList(1, epochs.size())) {
            double accuracy = Double.parseDouble(row.split(",")[6]);
            assertTrue(accuracy >= 0 && accuracy <= 1, row);
        }
        BufferedImage chart = ImageIO.read(out.resolve(DepthReport.CHART).toFile());
        assertEquals(1000, chart.getWidth());
        String table = Files.readString(out.resolve(DepthReport.TABLE));
        for (String net : List.of("| plain-8 |", "| ResNet-8 |", "| plain-14 |", "| ResNet-14 |", "gradient flow",
                "ease of optimization", "residual ÷ plain: 8: ")) {
            assertTrue(table.contains(net), net + " missing from\n" + table);
        }
        assertTrue(!table.contains("NaN"), table);
    }

    @Test
    void theThousandLayerNetStartsWithEveryBlockSilenced() {
        try (Nets.Instance net = Nets.thousand().create(dev.residual.runtime.gemm.Backends.defaultGemm(), 1)) {
            var gammas = net.model().parameters().stream().filter(t -> t.name().endsWith(".fc2.1.weight")).toList();
            assertEquals(499, gammas.size());
            for (var gamma : gammas) {
                assertEquals(0.0, gamma.norm(), gamma.name());
            }
            assertEquals(1.0, net.model().tensor("body.0.fc1.1.weight").get(0), "only the blocks' last norms");
        }
    }

    @Test
    void depthsAreCheckedAgainstTheDeclaredNets() {
        assertEquals(List.of(20, 56, 110), DepthExperiment.depths("20, 56,110"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DepthExperiment.depths("20,32"));
        assertTrue(e.getMessage().contains("no net of depth 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DepthExperiment.depths("twenty"));
        assertTrue(DepthExperiment.thousand("1000"));
        e = assertThrows(IllegalArgumentException.class, () -> DepthExperiment.thousand("500"));
        assertTrue(e.getMessage().contains("--depths 8,14,20,56,110"), e.getMessage());
    }

    @Test
    void theChartSmoothsWithATrailingMeanThatSkipsNonFiniteLosses() {
        assertArrayEquals(new double[] {1, 1.5, 2.5, 3.5}, DepthReport.trailingMean(new double[] {1, 2, 3, 4}, 2));
        assertArrayEquals(new double[] {1, 1, 3}, DepthReport.trailingMean(new double[] {1, Double.NaN, 3}, 2));
    }
}
