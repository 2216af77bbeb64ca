package dev.residual.samples.depth;

import dev.residual.samples.report.AtomicFiles;
import dev.residual.samples.report.CsvWriter;
import dev.residual.samples.report.LineChart;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Writes what the experiment measured: {@code iterations.csv}, {@code epochs.csv}, {@code loss.png} (training loss
 * against iterations, plain dashed and residual solid, one colour per depth, as in He et al.'s Figure 6) and
 * {@code table.md} (the expected comparison next to the numbers).
 */
final class DepthReport {

    static final String ITERATIONS = "iterations.csv", EPOCHS = "epochs.csv", CHART = "loss.png", TABLE = "table.md";

    private final List<Trace> traces;
    private final String setup;

    /** @param setup one line saying how the nets were trained, for the table's header */
    DepthReport(List<Trace> traces, String setup) {
        this.traces = List.copyOf(traces);
        this.setup = setup;
    }

    void write(Path dir) throws IOException {
        iterations().write(dir.resolve(ITERATIONS));
        epochs().write(dir.resolve(EPOCHS));
        chart().write(dir.resolve(CHART), 1000, 600);
        AtomicFiles.writeString(dir.resolve(TABLE), table());
    }

    CsvWriter iterations() {
        CsvWriter csv = CsvWriter.withHeader("net", "depth", "residual", "iteration", "epoch", "train_loss",
                "grad_norm_first_layer", "grad_norm_last_layer", "step_seconds", "seconds");
        for (Trace trace : traces) {
            for (Trace.Iteration it : trace.iterations) {
                csv.row(trace.net.name(), trace.net.depth(), trace.net.residual(), it.iteration(), it.epoch(),
                        it.loss(), it.gradFirst(), it.gradLast(), it.stepSeconds(), it.seconds());
            }
        }
        return csv;
    }

    CsvWriter epochs() {
        CsvWriter csv = CsvWriter.withHeader("net", "depth", "residual", "epoch", "iteration", "train_loss",
                "test_accuracy", "seconds");
        for (Trace trace : traces) {
            for (Trace.Epoch epoch : trace.epochs) {
                csv.row(trace.net.name(), trace.net.depth(), trace.net.residual(), epoch.epoch(), epoch.iteration(),
                        epoch.trainLoss(), epoch.testAccuracy(), epoch.seconds());
            }
        }
        return csv;
    }

    /** The loss of each step is noisy on small batches: each point is the mean of the last {@code window} steps. */
    LineChart chart() {
        int iterations = traces.stream().mapToInt(t -> t.iterations.size()).max().orElse(1);
        int window = Math.max(1, iterations / 30);
        LineChart chart = LineChart.titled("Plain (dashed) vs residual (solid) on Fashion-MNIST")
                .xAxis("iteration")
                .yAxis(window == 1 ? "training loss" : "training loss (mean of the last " + window + " iterations)");
        List<Integer> depths = traces.stream().map(t -> t.net.depth()).distinct().sorted().toList();
        for (Trace trace : traces) {
            double[] xs = trace.iterations.stream().mapToDouble(Trace.Iteration::iteration).toArray();
            double[] ys = trailingMean(trace.iterations.stream().mapToDouble(Trace.Iteration::loss).toArray(), window);
            chart.series(trace.net.name(), xs, ys, trace.net.residual() ? LineChart.Style.SOLID : LineChart.Style.DASHED,
                    LineChart.color(depths.indexOf(trace.net.depth())));
        }
        return chart;
    }

    /** The mean of each value and the {@code window - 1} before it, skipping values that are not finite. */
    static double[] trailingMean(double[] values, int window) {
        double[] means = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            double sum = 0;
            int count = 0;
            for (int j = Math.max(0, i - window + 1); j <= i; j++) {
                if (Double.isFinite(values[j])) {
                    sum += values[j];
                    count++;
                }
            }
            means[i] = count == 0 ? Double.NaN : sum / count;
        }
        return means;
    }

    String table() {
        StringBuilder md = new StringBuilder();
        md.append("# Plain vs residual nets on Fashion-MNIST\n\n").append(setup).append("\n\n");
        md.append("| net | parameters | training loss, last epoch | test accuracy | ‖∇ first layer‖, step 1 "
                + "| ‖∇ first layer‖, last epoch | ‖∇ last layer‖, step 1 | skipped steps | s / step (median) | wall s |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Trace t : traces) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %.4f | %.4f | %s | %s | %s | %d | %.2f | %.0f |%n",
                    t.net.name(), t.parameters, t.lastEpochLoss(), t.finalAccuracy(), sci(t.first().gradFirst()),
                    sci(t.lastEpochGradFirst()), sci(t.first().gradLast()), t.skippedSteps, t.secondsPerStep(),
                    t.wallSeconds()));
        }
        md.append("\n## The expected comparison, next to the measurement\n\n");
        md.append("| | plain nets (expected) | residual nets (expected) | measured here |\n");
        md.append("| --- | --- | --- | --- |\n");
        md.append("| information flow | the signal reaches layer L only through every layer before it "
                + "| the identity path carries each block's input unchanged to every later block | test accuracy: ")
                .append(byDepth(Trace::finalAccuracy, "%.4f")).append(" |\n");
        md.append("| gradient flow | the gradient is a product of L layer Jacobians: it can vanish toward the first "
                + "layers | each block adds an identity term to the gradient, so it reaches the first layer "
                + "| ‖∇ first layer‖ at step 1: ").append(byDepth(t -> t.first().gradFirst(), "%.2e"))
                .append("; residual ÷ plain: ").append(ratios(t -> t.first().gradFirst())).append(" |\n");
        md.append("| maximum depth | degrades past ~20 layers (He et al.: plain-56 trains worse than plain-20) "
                + "| 110 and 1,202 layers train (He et al.) | ").append(deepest()).append(" |\n");
        md.append("| ease of optimization | deeper plain nets reach a higher training loss (the degradation problem) "
                + "| deeper residual nets reach an equal or lower training loss | training loss, last epoch: ")
                .append(byDepth(Trace::lastEpochLoss, "%.4f")).append(" |\n");
        return md.toString();
    }

    /** "plain 20/56/110: a / b / c; ResNet …: d / e / f". */
    private String byDepth(ToDoubleFunction<Trace> value, String format) {
        List<String> parts = new ArrayList<>();
        for (boolean residual : new boolean[] {false, true}) {
            List<Trace> kind = traces.stream().filter(t -> t.net.residual() == residual).toList();
            if (kind.isEmpty()) {
                continue;
            }
            parts.add((residual ? "ResNet " : "plain ") + String.join("/", kind.stream()
                    .map(t -> String.valueOf(t.net.depth())).toList()) + ": " + String.join(" / ", kind.stream()
                    .map(t -> String.format(Locale.ROOT, format, value.applyAsDouble(t))).toList()));
        }
        return String.join("; ", parts);
    }

    /** Residual ÷ plain of a value, per depth that has both. */
    private String ratios(ToDoubleFunction<Trace> value) {
        List<String> parts = new ArrayList<>();
        for (Trace residual : traces) {
            for (Trace plain : traces) {
                if (residual.net.residual() && !plain.net.residual() && residual.net.depth() == plain.net.depth()) {
                    parts.add(String.format(Locale.ROOT, "%d: %.3g×", residual.net.depth(),
                            value.applyAsDouble(residual) / value.applyAsDouble(plain)));
                }
            }
        }
        return String.join(", ", parts);
    }

    /** For each kind, the depth with the lowest last-epoch training loss (the deepest one that still trains best). */
    private String deepest() {
        List<String> parts = new ArrayList<>();
        for (boolean residual : new boolean[] {false, true}) {
            traces.stream().filter(t -> t.net.residual() == residual && Double.isFinite(t.lastEpochLoss()))
                    .min((a, b) -> Double.compare(a.lastEpochLoss(), b.lastEpochLoss()))
                    .ifPresent(best -> parts.add(String.format(Locale.ROOT, "lowest training loss among %s nets: %s",
                            residual ? "residual" : "plain", best.net.name())));
        }
        return String.join("; ", parts) + " (a 1,000-layer residual net: `--depth 1000`, `deep1000/table.md`)";
    }

    private static String sci(double value) {
        return String.format(Locale.ROOT, "%.2e", value);
    }
}
