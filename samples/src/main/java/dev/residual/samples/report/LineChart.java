package dev.residual.samples.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.TickUnitSource;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A line chart written as a PNG, drawn by JFreeChart without a window (the JVM is put in headless mode unless
 * {@code java.awt.headless} was set explicitly).
 *
 * <pre>{@code
 * LineChart.titled("CIFAR-10, 20 layers")
 *         .xAxis("epoch").yAxis("training loss").logY()
 *         .series("plain-20", epochs, plainLoss, Style.DASHED, LineChart.color(0))
 *         .series("ResNet-20", epochs, resLoss, Style.SOLID, LineChart.color(0))
 *         .rightAxis("test accuracy (%)")
 *         .rightSeries("ResNet-20 accuracy", epochs, resAcc, Style.SOLID)
 *         .write(Path.of("target/resnet20.png"), 1000, 600);
 * }</pre>
 *
 * <p>Series on the left axis are added with {@link #series}, those on the optional right axis with
 * {@link #rightSeries}. A series given no colour takes the next one of a fixed palette ({@link #color(int)}), counted
 * over all series in the order they were added. A y value that is not finite (NaN or infinite, say from a run that
 * diverged) leaves a gap in its line. On a machine without any font the chart is still written, without its texts
 * (title, legend, axis labels and tick labels), and a warning goes to {@code System.err} once.
 *
 * <p>A {@code LineChart} is a mutable builder, for one thread at a time; {@link #write} may be called more than once.
 */
public final class LineChart {

    static {
        // Before any AWT class is initialised: no display, no window, only off-screen images.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    /** How a series' line is drawn. */
    public enum Style {
        SOLID,
        DASHED
    }

    /** Colour-blind-safe, well separated (Tableau 10, as in matplotlib's default cycle). */
    private static final Color[] PALETTE = {
        new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD),
        new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF),
    };

    private static final float LINE_WIDTH = 2.0f;
    private static final Stroke SOLID_STROKE =
            new BasicStroke(LINE_WIDTH, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    private static final Stroke DASHED_STROKE = new BasicStroke(LINE_WIDTH, BasicStroke.CAP_BUTT,
            BasicStroke.JOIN_ROUND, 10f, new float[] {9f, 6f}, 0f);
    private static final Color GRID = new Color(0xDDDDDD);
    private static final Color MINOR_GRID = new Color(0xEEEEEE);
    private static final Color AXIS = new Color(0x555555);
    private static final String FONT = Font.SANS_SERIF; // a logical font: the JDK maps it to whatever is installed

    private record Series(String name, double[] xs, double[] ys, Style style, Color color, boolean right) {
    }

    private final String title;
    private String xLabel = "";
    private String yLabel = "";
    private String rightLabel = "";
    private boolean logY;
    private final List<Series> series = new ArrayList<>();

    private LineChart(String title) {
        this.title = Objects.requireNonNull(title, "title");
    }

    /** A new, empty chart with this title (may be empty). */
    public static LineChart titled(String title) {
        return new LineChart(title);
    }

    /** The {@code index}-th colour of the palette that series without a colour of their own take, cyclically. */
    public static Color color(int index) {
        return PALETTE[Math.floorMod(index, PALETTE.length)];
    }

    /** The x axis' label. */
    public LineChart xAxis(String label) {
        this.xLabel = Objects.requireNonNull(label, "label");
        return this;
    }

    /** The (left) y axis' label. */
    public LineChart yAxis(String label) {
        this.yLabel = Objects.requireNonNull(label, "label");
        return this;
    }

    /**
     * Makes the left y axis logarithmic (base 10). Every finite y value of the left series must then be positive, or
     * {@link #write} throws {@link IllegalArgumentException}. The right axis, if any, stays linear.
     */
    public LineChart logY() {
        this.logY = true;
        return this;
    }

    /** The right y axis' label; the axis itself appears as soon as a {@link #rightSeries} is added. */
    public LineChart rightAxis(String label) {
        this.rightLabel = Objects.requireNonNull(label, "label");
        return this;
    }

    /** Adds a series on the left y axis, in the next palette colour. */
    public LineChart series(String name, double[] xs, double[] ys, Style style) {
        return add(name, xs, ys, style, null, false);
    }

    /** Adds a series on the left y axis in {@code color}, e.g. {@link #color(int)} to pair solid and dashed lines. */
    public LineChart series(String name, double[] xs, double[] ys, Style style, Color color) {
        return add(name, xs, ys, style, Objects.requireNonNull(color, "color"), false);
    }

    /** Adds a series on the right y axis, in the next palette colour. */
    public LineChart rightSeries(String name, double[] xs, double[] ys, Style style) {
        return add(name, xs, ys, style, null, true);
    }

    /** Adds a series on the right y axis, in {@code color}. */
    public LineChart rightSeries(String name, double[] xs, double[] ys, Style style, Color color) {
        return add(name, xs, ys, style, Objects.requireNonNull(color, "color"), true);
    }

    private LineChart add(String name, double[] xs, double[] ys, Style style, Color color, boolean right) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(xs, "xs");
        Objects.requireNonNull(ys, "ys");
        Objects.requireNonNull(style, "style");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a series needs a name (it is shown in the legend)");
        }
        if (xs.length != ys.length) {
            throw new IllegalArgumentException("series '" + name + "': " + xs.length + " x values but " + ys.length
                    + " y values");
        }
        for (int i = 0; i < xs.length; i++) {
            if (!Double.isFinite(xs[i])) {
                throw new IllegalArgumentException("series '" + name + "': x[" + i + "] = " + xs[i]
                        + " is not finite");
            }
        }
        for (Series s : series) {
            if (s.name().equals(name)) {
                throw new IllegalArgumentException("two series named '" + name + "'");
            }
        }
        Color chosen = color != null ? color : color(series.size());
        series.add(new Series(name, xs.clone(), ys.clone(), style, chosen, right));
        return this;
    }

    /**
     * Draws the chart and writes it as a PNG of {@code width} × {@code height} pixels, atomically: to a temporary file
     * beside {@code png}, then renamed over it. Missing parent directories are created.
     *
     * @throws IllegalStateException if no series was added
     * @throws IllegalArgumentException if the size is not positive, or the y axis is logarithmic and a left series has
     *     a finite y value that is not positive
     */
    public void write(Path png, int width, int height) throws IOException {
        Objects.requireNonNull(png, "png");
        BufferedImage image = render(width, height);
        AtomicFiles.write(png, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer in this JDK's ImageIO");
            }
        });
    }

    /** Draws the chart into a new opaque image (package-private: the tests look at it without a file). */
    BufferedImage render(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (series.isEmpty()) {
            throw new IllegalStateException("chart '" + title + "' has no series");
        }
        boolean text = Fonts.available();
        JFreeChart chart = build(text);
        return chart.createBufferedImage(width, height, BufferedImage.TYPE_INT_RGB, null);
    }

    private JFreeChart build(boolean text) {
        if (logY) {
            checkPositive();
        }
        XYPlot plot = new XYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setOutlinePaint(AXIS);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        plot.setDomainGridlineStroke(new BasicStroke(1f));
        plot.setRangeGridlineStroke(new BasicStroke(1f));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);

        NumberAxis x = new NumberAxis(text ? xLabel : null);
        x.setAutoRangeIncludesZero(false);
        x.setLowerMargin(0.01);
        x.setUpperMargin(0.01);
        if (allIntegral(series.stream().filter(s -> s.xs().length > 0).map(Series::xs).toList())) {
            x.setStandardTickUnits(NumberAxis.createIntegerTickUnits()); // iterations, epochs: no "2.5"
        }
        plot.setDomainAxis(style(x, text));

        plot.setRangeAxis(0, style(logY ? logAxis(text ? yLabel : null) : linearAxis(text ? yLabel : null), text));
        if (logY) {
            plot.setRangeMinorGridlinesVisible(true); // at 2..9 times each power of ten
            plot.setRangeMinorGridlinePaint(MINOR_GRID);
            plot.setRangeMinorGridlineStroke(new BasicStroke(1f));
        }
        plot.setDataset(0, dataset(false));
        plot.setRenderer(0, renderer(false));
        plot.mapDatasetToRangeAxis(0, 0);

        if (series.stream().anyMatch(Series::right)) {
            plot.setRangeAxis(1, style(linearAxis(text ? rightLabel : null), text));
            plot.setRangeAxisLocation(1, AxisLocation.BOTTOM_OR_RIGHT);
            plot.setDataset(1, dataset(true));
            plot.setRenderer(1, renderer(true));
            plot.mapDatasetToRangeAxis(1, 1);
        }
        if (!text) {
            fixTickUnits(plot);
        }

        JFreeChart chart = new JFreeChart(null, null, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        chart.setTextAntiAlias(true);
        chart.setPadding(new RectangleInsets(8, 8, 8, 16));
        if (text) {
            if (!title.isEmpty()) {
                TextTitle t = new TextTitle(title, new Font(FONT, Font.BOLD, 18));
                t.setPaint(Color.BLACK);
                t.setMargin(0, 0, 8, 0);
                chart.setTitle(t);
            }
            LegendTitle legend = new LegendTitle(plot);
            legend.setItemFont(new Font(FONT, Font.PLAIN, 13));
            legend.setPosition(RectangleEdge.BOTTOM);
            legend.setFrame(BlockBorder.NONE);
            legend.setBackgroundPaint(Color.WHITE);
            legend.setMargin(8, 0, 0, 0);
            chart.addLegend(legend);
        } else {
            Fonts.warnOnce();
        }
        return chart;
    }

    private XYSeriesCollection dataset(boolean right) {
        XYSeriesCollection collection = new XYSeriesCollection();
        for (Series s : series) {
            if (s.right() != right) {
                continue;
            }
            XYSeries xy = new XYSeries(s.name(), false, true); // keep the caller's order of points
            for (int i = 0; i < s.xs().length; i++) {
                double y = s.ys()[i];
                xy.add(s.xs()[i], Double.isFinite(y) ? y : Double.NaN, false); // NaN: a gap in the line
            }
            collection.addSeries(xy);
        }
        return collection;
    }

    private XYLineAndShapeRenderer renderer(boolean right) {
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
        renderer.setDrawSeriesLineAsPath(true); // one path per series, so a dash pattern runs on across points
        renderer.setAutoPopulateSeriesPaint(false);
        renderer.setAutoPopulateSeriesStroke(false);
        renderer.setLegendLine(new Line2D.Double(-14, 0, 14, 0)); // long enough to show the dashes
        int index = 0;
        for (Series s : series) {
            if (s.right() != right) {
                continue;
            }
            renderer.setSeriesPaint(index, s.color());
            renderer.setSeriesStroke(index, s.style() == Style.DASHED ? DASHED_STROKE : SOLID_STROKE);
            index++;
        }
        return renderer;
    }

    private static NumberAxis linearAxis(String label) {
        NumberAxis axis = new NumberAxis(label);
        axis.setAutoRangeIncludesZero(false);
        return axis;
    }

    private static ValueAxis logAxis(String label) {
        DecadeAxis axis = new DecadeAxis(label);
        axis.setAutoTickUnitSelection(false, false); // DecadeAxis chooses its ticks without measuring labels
        axis.setMinorTickMarksVisible(true);
        axis.setDefaultAutoRange(new Range(0.1, 10)); // no finite value at all: not 1e-100..1
        return axis;
    }

    /**
     * A base-10 log axis labelled with plain numbers (0.01, 0.1, 1, 10, 1e-6), not JFreeChart's "10^-0.3": every decade
     * is labelled; when fewer than two decades show, 2 and 5 times a power of ten too, and when fewer than two of
     * those show, every integer multiple. The unlabelled multiples 2..9 are minor ticks, for the gridlines.
     */
    private static final class DecadeAxis extends LogAxis {
        private static final long serialVersionUID = 1L;

        DecadeAxis(String label) {
            super(label);
        }

        @Override
        public List<ValueTick> refreshTicks(Graphics2D g2, AxisState state, Rectangle2D dataArea,
                RectangleEdge edge) {
            TextAnchor anchor = edge == RectangleEdge.LEFT ? TextAnchor.CENTER_RIGHT
                    : edge == RectangleEdge.RIGHT ? TextAnchor.CENTER_LEFT
                    : edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER
                    : TextAnchor.TOP_CENTER;
            double lo = getRange().getLowerBound();
            double hi = getRange().getUpperBound();
            if (!(lo > 0) || !(hi > lo) || !Double.isFinite(hi)) {
                return List.of();
            }
            int first = (int) Math.floor(Math.log10(lo));
            int last = (int) Math.ceil(Math.log10(hi));
            int[][] labelled = {{1}, {1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
            int[] chosen = labelled[labelled.length - 1];
            for (int[] multiples : labelled) {
                if (count(multiples, first, last, lo, hi) >= 2) {
                    chosen = multiples;
                    break;
                }
            }
            List<ValueTick> ticks = new ArrayList<>();
            for (int k = first; k <= last; k++) {
                for (int m = 1; m <= 9; m++) {
                    double v = m * Math.pow(10, k);
                    if (v < lo || v > hi) {
                        continue;
                    }
                    boolean major = contains(chosen, m);
                    ticks.add(new NumberTick(major ? TickType.MAJOR : TickType.MINOR, v,
                            major ? decadeLabel(m, k) : "", anchor, anchor, 0.0));
                }
            }
            return ticks;
        }

        private static int count(int[] multiples, int first, int last, double lo, double hi) {
            int n = 0;
            for (int k = first; k <= last; k++) {
                for (int m : multiples) {
                    double v = m * Math.pow(10, k);
                    if (v >= lo && v <= hi) {
                        n++;
                    }
                }
            }
            return n;
        }

        private static boolean contains(int[] multiples, int m) {
            for (int candidate : multiples) {
                if (candidate == m) {
                    return true;
                }
            }
            return false;
        }
    }

    private static ValueAxis style(ValueAxis axis, boolean text) {
        axis.setAxisLinePaint(AXIS);
        axis.setTickMarkPaint(AXIS);
        if (text) {
            axis.setLabelFont(new Font(FONT, Font.PLAIN, 14));
            axis.setTickLabelFont(new Font(FONT, Font.PLAIN, 12));
            axis.setLabelPaint(Color.BLACK);
            axis.setTickLabelPaint(new Color(0x333333));
        } else {
            axis.setLabel(null);
            axis.setTickLabelsVisible(false);
        }
        return axis;
    }

    /**
     * Without fonts the axes must not measure tick labels to choose their tick spacing: choose it here from the data
     * range, about six ticks an axis.
     */
    private static void fixTickUnits(XYPlot plot) {
        for (int i = 0; i < plot.getRangeAxisCount(); i++) {
            fixTickUnit(plot.getRangeAxis(i));
        }
        fixTickUnit(plot.getDomainAxis());
    }

    private static void fixTickUnit(ValueAxis axis) {
        if (axis == null) {
            return;
        }
        if (axis instanceof NumberAxis number) { // a DecadeAxis measures nothing already
            axis.setAutoTickUnitSelection(false, false);
            double length = number.getRange().getLength();
            TickUnitSource units = number.getStandardTickUnits();
            number.setTickUnit((NumberTickUnit) units.getCeilingTickUnit(length > 0 ? length / 6 : 1), false, false);
        }
    }

    /** {@code m × 10^k} as a log axis' tick label: 0.002, 50, 3000; 2e-6 and 1e7 beyond four places either way. */
    static String decadeLabel(int m, int k) {
        if (k < -4 || k > 5) {
            return m + "e" + k;
        }
        return BigDecimal.valueOf(m).scaleByPowerOfTen(k).stripTrailingZeros().toPlainString();
    }

    private void checkPositive() {
        for (Series s : series) {
            if (s.right()) {
                continue;
            }
            for (int i = 0; i < s.ys().length; i++) {
                double y = s.ys()[i];
                if (Double.isFinite(y) && y <= 0) {
                    throw new IllegalArgumentException("log-scale y axis needs positive values; series '" + s.name()
                            + "' has y[" + i + "] = " + y);
                }
            }
        }
    }

    private static boolean allIntegral(List<double[]> arrays) {
        if (arrays.isEmpty()) {
            return false;
        }
        return arrays.stream().flatMapToDouble(Arrays::stream).allMatch(v -> v == Math.rint(v));
    }

    /** Whether the JDK finds a font to draw text with; decided once per JVM. */
    static final class Fonts {
        private static final boolean AVAILABLE = probe();
        private static volatile boolean warned;

        private Fonts() {
        }

        static boolean available() {
            return AVAILABLE;
        }

        private static boolean probe() {
            try {
                BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = image.createGraphics();
                try {
                    g.setFont(new Font(FONT, Font.PLAIN, 12));
                    g.drawString("0", 0, 8);
                    return g.getFontMetrics().stringWidth("0") > 0;
                } finally {
                    g.dispose();
                }
            } catch (VirtualMachineError e) {
                throw e;
            } catch (RuntimeException | Error e) {
                // No physical font at all: "java.lang.Error: Probable fatal error: No physical fonts found."
                return false;
            }
        }

        static void warnOnce() {
            if (!warned) {
                warned = true;
                System.err.println("LineChart: the JDK finds no font on this machine, so charts are drawn without"
                        + " text (title, legend, labels). Install one, e.g. Debian's fonts-dejavu-core.");
            }
        }
    }
}
