package dev.residual.samples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.residual.samples.report.LineChart.Style;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineChartTest {

    private static final int W = 640;
    private static final int H = 400;
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    @TempDir
    Path dir;

    private static double[] range(int n) {
        double[] xs = new double[n];
        for (int i = 0; i < n; i++) {
            xs[i] = i;
        }
        return xs;
    }

    private static double[] decay(int n, double scale, double floor) {
        double[] ys = new double[n];
        for (int i = 0; i < n; i++) {
            ys[i] = scale * Math.exp(-i / 20.0) + floor;
        }
        return ys;
    }

    private static BufferedImage read(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "ImageIO could not decode " + png);
        return image;
    }

    /** Pixels within a small distance of {@code color} (the middle of an anti-aliased 2-px line is exact). */
    private static int count(BufferedImage image, Color color) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                Color c = new Color(image.getRGB(x, y));
                if (Math.abs(c.getRed() - color.getRed()) + Math.abs(c.getGreen() - color.getGreen())
                        + Math.abs(c.getBlue() - color.getBlue()) <= 24) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void writesAValidPngOfTheRequestedSize() throws IOException {
        Path png = dir.resolve("charts/loss.png"); // the parent folder does not exist yet
        LineChart.titled("Training loss").xAxis("iteration").yAxis("loss")
                .series("ResNet-20", range(100), decay(100, 2, 0.1), Style.SOLID)
                .write(png, W, H);

        assertTrue(Files.isRegularFile(png));
        byte[] bytes = Files.readAllBytes(png);
        assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(bytes, 8), "PNG signature");
        BufferedImage image = read(png);
        assertEquals(W, image.getWidth());
        assertEquals(H, image.getHeight());
        try (Stream<Path> files = Files.list(png.getParent())) {
            assertEquals(List.of(png), files.toList(), "no temporary file left beside the chart");
        }
    }

    @Test
    void twoSeriesAreDrawnInTwoColours() throws IOException {
        Path png = dir.resolve("two.png");
        LineChart.titled("plain vs residual").xAxis("epoch").yAxis("loss")
                .series("plain-20", range(80), decay(80, 2, 0.5), Style.SOLID)
                .series("ResNet-20", range(80), decay(80, 2, 0.05), Style.SOLID)
                .write(png, W, H);
        BufferedImage image = read(png);

        Set<Integer> colours = new HashSet<>();
        int background = image.getRGB(1, 1);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int rgb = image.getRGB(x, y) & 0xFFFFFF;
                if (rgb != (background & 0xFFFFFF)) {
                    colours.add(rgb);
                }
            }
        }
        assertEquals(Color.WHITE.getRGB(), background, "white background");
        assertTrue(colours.size() > 2, "more than one colour besides the background: " + colours.size());
        assertTrue(count(image, LineChart.color(0)) > 100, "first series in the first palette colour");
        assertTrue(count(image, LineChart.color(1)) > 100, "second series in the second palette colour");
    }

    @Test
    void dashedLinesHaveGapsAndPairWithSolidOnes() throws IOException {
        double[] xs = range(60);
        double[] ys = decay(60, 1, 0.2);
        Color red = new Color(0xD62728);
        BufferedImage solid = LineChart.titled("").series("s", xs, ys, Style.SOLID, red).render(W, H);
        BufferedImage dashed = LineChart.titled("").series("s", xs, ys, Style.DASHED, red).render(W, H);
        int solidPixels = count(solid, red);
        int dashedPixels = count(dashed, red);
        assertTrue(dashedPixels > 50, "the dashed line is drawn: " + dashedPixels);
        assertTrue(dashedPixels < 0.85 * solidPixels,
                "dashes leave gaps: " + dashedPixels + " dashed pixels vs " + solidPixels + " solid");

        // "plain dashed, residual solid", same colour for the same depth, loss left and accuracy right.
        Path png = dir.resolve("paired.png");
        LineChart.titled("depth 20").xAxis("epoch").yAxis("training loss").rightAxis("test accuracy")
                .series("plain-20", xs, decay(60, 2, 0.5), Style.DASHED, LineChart.color(0))
                .series("ResNet-20", xs, decay(60, 2, 0.05), Style.SOLID, LineChart.color(0))
                .rightSeries("ResNet-20 test acc", xs, decay(60, -0.8, 0.9), Style.SOLID)
                .write(png, W, H);
        BufferedImage paired = read(png);
        assertTrue(count(paired, LineChart.color(0)) > 100);
        assertTrue(count(paired, LineChart.color(2)) > 100, "third series, the right axis' one, in colour 2");
    }

    @Test
    void logScaleTakesPositiveValuesAndRejectsOthers() throws IOException {
        double[] xs = range(100);
        double[] wide = new double[100];
        for (int i = 0; i < 100; i++) {
            wide[i] = Math.pow(10, -i / 20.0); // five decades
        }
        Path png = dir.resolve("log.png");
        LineChart.titled("log").xAxis("iteration").yAxis("loss").logY()
                .series("wide", xs, wide, Style.SOLID)
                .series("narrow", xs, decay(100, 0.3, 0.4), Style.DASHED)
                .write(png, W, H);
        BufferedImage image = read(png);
        assertEquals(W, image.getWidth());
        assertTrue(count(image, LineChart.color(0)) > 100);

        double[] withZero = wide.clone();
        withZero[7] = 0;
        LineChart chart = LineChart.titled("log").logY().series("zero", xs, withZero, Style.SOLID);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> chart.write(dir.resolve("bad.png"), W, H));
        assertTrue(e.getMessage().contains("y[7]"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("bad.png")));
    }

    @Test
    void logAxisLabelsArePlainNumbers() {
        assertEquals("1", LineChart.decadeLabel(1, 0));
        assertEquals("0.02", LineChart.decadeLabel(2, -2));
        assertEquals("5000", LineChart.decadeLabel(5, 3));
        assertEquals("0.0001", LineChart.decadeLabel(1, -4));
        assertEquals("1e-5", LineChart.decadeLabel(1, -5));
        assertEquals("3e6", LineChart.decadeLabel(3, 6));
    }

    @Test
    void nonFiniteValuesLeaveGapsInsteadOfFailing() {
        double[] ys = decay(50, 1, 0.1);
        ys[10] = Double.NaN;
        ys[20] = Double.POSITIVE_INFINITY;
        BufferedImage image = LineChart.titled("diverged").logY().series("run", range(50), ys, Style.SOLID)
                .render(W, H);
        assertTrue(count(image, LineChart.color(0)) > 50);
    }

    @Test
    void oddButLegalChartsStillRender() {
        double[] xs = range(10);
        double[] nan = new double[10];
        Arrays.fill(nan, Double.NaN);
        BufferedImage allNanOnLog = LineChart.titled("nothing finite").logY()
                .series("nan", xs, nan, Style.SOLID).render(W, H);
        assertEquals(W, allNanOnLog.getWidth());
        BufferedImage rightOnly = LineChart.titled("right only").rightAxis("accuracy")
                .rightSeries("acc", xs, decay(10, -1, 1), Style.DASHED).render(W, H);
        assertTrue(count(rightOnly, LineChart.color(0)) > 20);
        BufferedImage onePoint = LineChart.titled("one point").series("p", new double[] {3}, new double[] {2},
                Style.SOLID).render(W, H);
        assertEquals(H, onePoint.getHeight());
    }

    @Test
    void rejectsMistakesEarly() {
        double[] two = {0, 1};
        double[] three = {0, 1, 2};
        assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("t").series("a", two, three, Style.SOLID));
        assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("t").series("a", two, two, Style.SOLID).series("a", two, two, Style.DASHED));
        assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("t").series(" ", two, two, Style.SOLID));
        assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("t").series("a", new double[] {0, Double.NaN}, two, Style.SOLID));
        assertThrows(IllegalStateException.class, () -> LineChart.titled("empty").write(dir.resolve("e.png"), W, H));
        assertThrows(IllegalArgumentException.class,
                () -> LineChart.titled("t").series("a", two, two, Style.SOLID).write(dir.resolve("z.png"), 0, H));
    }

    @Test
    void theCallersArraysAreCopied() {
        double[] xs = range(30);
        double[] ys = decay(30, 1, 0.1);
        LineChart chart = LineChart.titled("copy").logY().series("a", xs, ys, Style.SOLID);
        ys[3] = -1; // would be refused on the log axis, were it not copied
        assertEquals(W, chart.render(W, H).getWidth());
    }

    @Test
    void overwritesAnExistingChart() throws IOException {
        Path png = dir.resolve("again.png");
        Files.writeString(png, "not a png");
        LineChart.titled("again").series("a", range(10), decay(10, 1, 0), Style.SOLID).write(png, 300, 200);
        assertEquals(300, read(png).getWidth());
    }

    @Test
    void drawsTextWhenTheMachineHasFonts() {
        // The machine's fonts (Debian's fonts-dejavu-core here) back the JDK's logical "SansSerif".
        assumeTrue(LineChart.Fonts.available(), "no font on this machine: see noFontsStillRenders");
        double[] xs = range(20);
        double[] ys = decay(20, 1, 0);
        BufferedImage untitled = LineChart.titled("").series("a", xs, ys, Style.SOLID).render(W, H);
        BufferedImage titled = LineChart.titled("A TITLE").series("a", xs, ys, Style.SOLID).render(W, H);
        int dark = 0;
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < W; x++) {
                if ((titled.getRGB(x, y) & 0xFF) < 100 && (untitled.getRGB(x, y) & 0xFF) > 200) {
                    dark++;
                }
            }
        }
        assertTrue(dark > 50, "the title's glyphs are drawn at the top: " + dark + " dark pixels");
    }

    /**
     * Runs {@link NoFontsMain} in a JVM that sees no font directory (a private mount namespace with empty folders
     * over /usr/share/fonts and /etc/fonts): the chart must still be written. Skipped where {@code unshare} cannot
     * make one (not root, no unshare).
     */
    @Test
    void noFontsStillRenders() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/usr/share/fonts")), "no /usr/share/fonts to hide");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path png = dir.resolve("nofonts.png");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = String.join(File.pathSeparator, location(LineChart.class),
                location(org.jfree.chart.JFreeChart.class), location(NoFontsMain.class));
        String hide = "mount --bind '" + empty + "' /usr/share/fonts"
                + " && { [ ! -d /etc/fonts ] || mount --bind '" + empty + "' /etc/fonts; }"
                + " && exec '" + java + "' -cp '" + classPath + "' '" + NoFontsMain.class.getName() + "' '" + png + "'";
        ProcessBuilder builder = new ProcessBuilder("unshare", "-m", "sh", "-c", hide).redirectErrorStream(true);
        builder.environment().put("FONTCONFIG_FILE", "/nonexistent/fonts.conf");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            assumeTrue(false, "no unshare here: " + e.getMessage());
            return;
        }
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes());
        int exit = process.waitFor();
        assumeTrue(!output.contains("mount:") && !output.contains("unshare:"),
                "cannot hide the fonts here (needs root): " + output);
        assumeTrue(output.contains("fonts=false"), "the JVM still found fonts: " + output);
        assertEquals(0, exit, output);
        assertTrue(output.contains("without text"), "a warning says why the chart has no text: " + output);
        BufferedImage image = read(png);
        assertEquals(W, image.getWidth());
        assertTrue(count(image, LineChart.color(0)) > 100, "the lines are drawn: " + output);
    }

    private static String location(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** The child JVM of {@link #noFontsStillRenders}. */
    public static final class NoFontsMain {
        public static void main(String[] args) throws IOException {
            LineChart.titled("no fonts").xAxis("x").yAxis("y").logY()
                    .series("a", range(50), decay(50, 2, 0.1), Style.SOLID)
                    .series("b", range(50), decay(50, 1, 0.3), Style.DASHED)
                    .rightSeries("c", range(50), decay(50, -1, 1), Style.SOLID)
                    .write(Path.of(args[0]), W, H);
            System.out.println("fonts=" + LineChart.Fonts.available());
        }
    }
}
