package dev.residual.samples.report;

import java.io.Console;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The progress of one training epoch, printed as it goes.
 *
 * <pre>{@code
 * Progress progress = Progress.start(epoch, epochs, batches, System.out, Progress.isTerminal());
 * for (int b = 0; b < batches; b++) {
 *     ... train on batch b ...
 *     progress.update(b, runningLoss, runningAccuracy, imagesPerSecond);
 * }
 * progress.finish("test acc 91.3%");
 * }</pre>
 *
 * <p>On a terminal one line is redrawn in place with {@code \r} (bar, percent, loss, accuracy, images per second,
 * time left), at most ten times a second and always on the last batch, cut to the terminal's width ({@code COLUMNS},
 * else {@code stty size}, else 80) since a wrapped line could not be redrawn:
 * <pre>
 * epoch  3/20 [==========&gt;         ]  52% loss 0.8123 acc 71.2% 1534 img/s ETA 0:42
 * </pre>
 * Elsewhere (a log file, a pipe, CI) it prints a plain line at each tenth of the epoch instead, without {@code \r}, so
 * the log stays readable:
 * <pre>
 * epoch  3/20  50% 125/250 loss 0.8123 acc 71.2% 1534 img/s ETA 0:42
 * </pre>
 * In both modes {@link #finish} prints the epoch's last line:
 * <pre>
 * epoch  3/20 250/250 in 1:23 loss 0.7712 acc 73.0% 1541 img/s | test acc 70.4%
 * </pre>
 *
 * <p>For one thread; nothing is printed after {@link #finish}.
 */
public final class Progress {

    private static final long REDRAW_NANOS = 100_000_000L; // at most ten redraws a second
    private static final int MIN_BAR = 10;
    private static final int MAX_BAR = 30;
    private static final int MIN_COLUMNS = 40;

    private final int epoch;
    private final int epochs;
    private final int totalBatches;
    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private final long startNanos;
    private final int columns;
    private final int barWidth;

    private int done;
    private double loss = Double.NaN;
    private double accuracy = Double.NaN;
    private double imagesPerSecond = Double.NaN;
    private long lastDrawNanos;
    private int lastTenth;
    private int lastLineLength;
    private boolean finished;

    private Progress(int epoch, int epochs, int totalBatches, PrintStream out, boolean terminal,
            LongSupplier nanoClock, int columns) {
        if (epochs < 1 || epoch < 1 || epoch > epochs) {
            throw new IllegalArgumentException("epoch " + epoch + " of " + epochs + ": epochs count from 1");
        }
        if (totalBatches < 1) {
            throw new IllegalArgumentException("an epoch needs at least one batch, got " + totalBatches);
        }
        this.epoch = epoch;
        this.epochs = epochs;
        this.totalBatches = totalBatches;
        this.out = Objects.requireNonNull(out, "out");
        this.terminal = terminal;
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
        this.columns = Math.max(MIN_COLUMNS, columns);
        this.barWidth = barWidth();
        if (terminal) {
            draw(startNanos); // the empty bar, while the first batch (often the slowest) runs
        }
    }

    /**
     * Starts the progress of epoch {@code epoch} (counted from 1) of {@code epochs}, which has {@code totalBatches}
     * batches, printed to {@code out}: redrawn in place if {@code terminal}, else as plain lines (see
     * {@link #isTerminal()}).
     */
    public static Progress start(int epoch, int epochs, int totalBatches, PrintStream out, boolean terminal) {
        return new Progress(epoch, epochs, totalBatches, out, terminal, System::nanoTime,
                terminal ? terminalColumns() : 80);
    }

    /** {@link #start(int, int, int, PrintStream, boolean)} on {@code System.out}, redrawn if it is a terminal. */
    public static Progress start(int epoch, int epochs, int totalBatches) {
        return start(epoch, epochs, totalBatches, System.out, isTerminal());
    }

    /** For the tests: a clock they move by hand, and a terminal this many columns wide. */
    static Progress start(int epoch, int epochs, int totalBatches, PrintStream out, boolean terminal,
            LongSupplier nanoClock, int columns) {
        return new Progress(epoch, epochs, totalBatches, out, terminal, nanoClock, columns);
    }

    /**
     * Whether this JVM's standard input and output are an interactive terminal (and not one that calls itself
     * {@code TERM=dumb}), where redrawing a line with {@code \r} works. False when the output goes to a file or a pipe.
     */
    public static boolean isTerminal() {
        Console console = System.console(); // since JDK 22 not null for redirected streams too: ask isTerminal()
        return console != null && console.isTerminal() && !"dumb".equals(System.getenv("TERM"));
    }

    /**
     * Reports that batch {@code batchIndex} (counted from 0) is done, with the loss and accuracy so far (accuracy as a
     * fraction in [0, 1], shown as a percentage) and the throughput. An accuracy or a throughput that is NaN is left
     * out of the line; a NaN loss is shown, as "nan".
     *
     * @throws IllegalArgumentException if {@code batchIndex} is not in [0, totalBatches)
     * @throws IllegalStateException after {@link #finish}
     */
    public void update(int batchIndex, double loss, double accuracy, double imagesPerSecond) {
        if (finished) {
            throw new IllegalStateException("epoch " + epoch + " was already finished");
        }
        if (batchIndex < 0 || batchIndex >= totalBatches) {
            throw new IllegalArgumentException("batch index " + batchIndex + " not in [0, " + totalBatches + ")");
        }
        this.done = batchIndex + 1;
        this.loss = loss;
        this.accuracy = accuracy;
        this.imagesPerSecond = imagesPerSecond;
        long now = nanoClock.getAsLong();
        if (terminal) {
            if (now - lastDrawNanos >= REDRAW_NANOS || done == totalBatches) {
                draw(now);
            }
        } else {
            int tenth = (int) ((long) done * 10 / totalBatches);
            if (tenth > lastTenth && done < totalBatches) { // the end is finish()'s line
                lastTenth = tenth;
                out.println(line(now, false));
                out.flush();
            }
        }
    }

    /**
     * Ends the epoch: one last line with the totals, the epoch's time and {@code summary} (for example the test
     * accuracy; may be empty or null), then a new line. Further calls throw {@link IllegalStateException}.
     */
    public void finish(String summary) {
        if (finished) {
            throw new IllegalStateException("epoch " + epoch + " was already finished");
        }
        finished = true;
        long now = nanoClock.getAsLong();
        StringBuilder text = new StringBuilder();
        text.append(prefix()).append(' ').append(done).append('/').append(totalBatches)
                .append(" in ").append(duration(now - startNanos));
        metrics(text);
        if (summary != null && !summary.isBlank()) {
            text.append(" | ").append(summary.strip());
        }
        if (terminal) {
            out.print("\r" + padded(text.toString()) + System.lineSeparator());
        } else {
            out.println(text);
        }
        out.flush();
    }

    private void draw(long now) {
        lastDrawNanos = now;
        String line = line(now, true);
        if (line.length() > columns - 1) {
            line = line.substring(0, columns - 1); // a wrapped line could no longer be redrawn in place
        }
        out.print("\r" + padded(line));
        out.flush();
    }

    /** Pads with spaces over whatever the previous, longer line left on the terminal. */
    private String padded(String text) {
        int previous = lastLineLength;
        lastLineLength = text.length();
        return text.length() >= previous ? text : text + " ".repeat(previous - text.length());
    }

    /**
     * On a terminal: {@code epoch  3/20 [=====>    ]  52% loss 0.8123 acc 71.2% 1534 img/s ETA 0:42}; elsewhere the
     * batch count stands where the bar would: {@code epoch  3/20  52% 130/250 loss ...}.
     */
    private String line(long now, boolean bar) {
        StringBuilder text = new StringBuilder(prefix());
        if (bar) {
            int filled = (int) ((long) done * barWidth / totalBatches);
            text.append(" [");
            for (int i = 0; i < barWidth; i++) {
                text.append(i < filled ? '=' : i == filled ? '>' : ' ');
            }
            text.append(']');
        }
        text.append(' ').append(pad(Integer.toString((int) ((long) done * 100 / totalBatches)), 3)).append('%');
        if (!bar) {
            text.append(' ').append(pad(Integer.toString(done), Integer.toString(totalBatches).length()))
                    .append('/').append(totalBatches);
        }
        metrics(text);
        if (done > 0 && done < totalBatches) {
            long elapsed = now - startNanos;
            text.append(" ETA ").append(duration(elapsed / done * (totalBatches - done)));
        }
        return text.toString();
    }

    private String prefix() {
        return "epoch " + pad(Integer.toString(epoch), Integer.toString(epochs).length()) + "/" + epochs;
    }

    /** As wide as the terminal leaves room for, the same for the whole epoch so that the bar does not jump. */
    private int barWidth() {
        String widestRest = " 100% loss 00.0000 acc 100.0% 99999 img/s ETA 00:00";
        return Math.clamp(columns - 1 - prefix().length() - 3 - widestRest.length(), MIN_BAR, MAX_BAR);
    }

    private void metrics(StringBuilder text) {
        if (done == 0) {
            return;
        }
        text.append(" loss ").append(Double.isNaN(loss) ? "nan" : String.format(Locale.ROOT, "%.4f", loss));
        if (!Double.isNaN(accuracy)) {
            text.append(String.format(Locale.ROOT, " acc %.1f%%", accuracy * 100));
        }
        if (!Double.isNaN(imagesPerSecond)) {
            text.append(String.format(Locale.ROOT, " %.0f img/s", imagesPerSecond));
        }
    }

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    static String duration(long nanos) {
        long seconds = Math.max(0, Math.round(nanos / 1e9));
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }

    private static String pad(String text, int width) {
        return text.length() >= width ? text : " ".repeat(width - text.length()) + text;
    }

    /**
     * The terminal's width: {@code COLUMNS} when the shell exports it, else what {@code stty size} says of
     * {@code /dev/tty}, else the classic 80.
     */
    static int terminalColumns() {
        try {
            String columns = System.getenv("COLUMNS");
            if (columns != null && !columns.isBlank()) {
                return Math.max(MIN_COLUMNS, Integer.parseInt(columns.strip()));
            }
        } catch (NumberFormatException e) {
            // fall through to stty
        }
        try {
            Process stty = new ProcessBuilder("stty", "size")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/tty")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String answer = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (stty.waitFor(2, TimeUnit.SECONDS) && stty.exitValue() == 0) {
                String[] rowsColumns = answer.split("\\s+"); // "rows columns"; "0 0" for a pty of no size
                int columns = Integer.parseInt(rowsColumns[1]);
                if (columns > 0) {
                    return Math.max(MIN_COLUMNS, columns);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no stty, no /dev/tty, or an answer we do not understand
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 80;
    }
}
