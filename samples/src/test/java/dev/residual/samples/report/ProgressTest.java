package dev.residual.samples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private static final long MS = 1_000_000L;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong(5_000 * MS);

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** 1000 batches, one millisecond each: one second in all. */
    private void runEpoch(boolean terminal) {
        Progress progress = Progress.start(3, 20, 1000, out, terminal, clock::get, 80);
        for (int b = 0; b < 1000; b++) {
            clock.addAndGet(MS);
            progress.update(b, 2.0 - b / 1000.0, b / 1250.0, 1234.5);
        }
        progress.finish("test acc 81.0%");
    }

    @Test
    void plainLinesWithoutCarriageReturnsWhenNotATerminal() {
        runEpoch(false);
        String text = output();
        assertFalse(text.contains("\r"), "no carriage return in a log: " + text);
        String[] lines = text.split(System.lineSeparator());
        assertTrue(lines.length >= 2 && lines.length <= 11, "a line every tenth and one at the end, got "
                + lines.length + ":\n" + text);
        assertTrue(lines[0].startsWith("epoch  3/20  10%  100/1000 loss"), lines[0]);
        assertTrue(lines[0].contains("loss 1.9010") && lines[0].contains("acc 7.9%") && lines[0].contains("1235 img/s"),
                lines[0]);
        assertTrue(lines[0].contains("ETA 0:01"), lines[0]);
        String last = lines[lines.length - 1];
        assertTrue(last.startsWith("epoch  3/20 1000/1000 in 0:01 loss 1.0010") && last.endsWith(" | test acc 81.0%"),
                last);
        assertTrue(text.endsWith(System.lineSeparator()));
    }

    @Test
    void redrawsOneLineAtMostTenTimesASecondOnATerminal() {
        runEpoch(true);
        String text = output();
        assertTrue(text.contains("\r"), text);
        long redraws = text.chars().filter(c -> c == '\r').count();
        // The empty bar at the start, one per 100 ms over one second, the last batch and finish().
        assertTrue(redraws >= 5 && redraws <= 14, redraws + " redraws for 1000 updates in one second");
        assertEquals(1, text.split(System.lineSeparator(), -1).length - 1, "one line in all: " + text);
        assertTrue(text.contains("epoch  3/20 [=========>"), "a bar: " + text);
        assertTrue(text.contains("=] 100% loss 1.0010"), "the last batch is drawn: " + text);
        assertTrue(text.endsWith(" | test acc 81.0%" + System.lineSeparator()), text);
        String[] draws = text.substring(0, text.lastIndexOf('\r')).split("\r");
        for (int i = 1; i < draws.length; i++) {
            assertTrue(draws[i].length() < 80, "fits in 80 columns: " + draws[i]);
            assertEquals(draws[1].indexOf(']'), draws[i].indexOf(']'), "the bar keeps its width: " + draws[i]);
        }
    }

    @Test
    void aShorterLineCoversTheLongerOneBeforeIt() {
        Progress progress = Progress.start(1, 1, 10, out, true, clock::get, 80);
        clock.addAndGet(200 * MS);
        progress.update(0, 1.0, 0.5, 99999);
        clock.addAndGet(200 * MS);
        progress.update(1, 1.0, Double.NaN, Double.NaN); // shorter: no accuracy, no throughput
        String[] draws = output().split("\r", -1);
        String longer = draws[draws.length - 2];
        String shorter = draws[draws.length - 1];
        assertFalse(shorter.contains("acc"), shorter);
        assertTrue(shorter.length() >= longer.length(), "padded with spaces:\n" + longer + "\n" + shorter);
    }

    @Test
    void aNarrowTerminalGetsACutLine() {
        Progress progress = Progress.start(3, 20, 1000, out, true, clock::get, 40);
        clock.addAndGet(200 * MS);
        progress.update(499, 1.5, 0.5, 1000);
        String[] draws = output().split("\r");
        String last = draws[draws.length - 1];
        assertEquals(39, last.length(), "cut to 40 columns less one: " + last);
        assertTrue(last.startsWith("epoch  3/20 [====="), last);
    }

    @Test
    void aNanLossIsShown() {
        Progress progress = Progress.start(1, 1, 2, out, false, clock::get, 80);
        progress.update(0, Double.NaN, 0.1, 10);
        assertTrue(output().contains("loss nan"), output());
    }

    @Test
    void fewBatchesStillWork() {
        Progress progress = Progress.start(1, 1, 1, out, false, clock::get, 80);
        progress.update(0, 0.5, 0.9, 10);
        progress.finish(null);
        assertEquals(1, output().lines().count(), output());
    }

    @Test
    void rejectsMisuse() {
        assertThrows(IllegalArgumentException.class, () -> Progress.start(0, 10, 5, out, false));
        assertThrows(IllegalArgumentException.class, () -> Progress.start(11, 10, 5, out, false));
        assertThrows(IllegalArgumentException.class, () -> Progress.start(1, 10, 0, out, false));
        Progress progress = Progress.start(1, 10, 5, out, false);
        assertThrows(IllegalArgumentException.class, () -> progress.update(5, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> progress.update(-1, 1, 1, 1));
        progress.finish("");
        assertThrows(IllegalStateException.class, () -> progress.update(0, 1, 1, 1));
        assertThrows(IllegalStateException.class, () -> progress.finish(""));
    }

    @Test
    void durations() {
        assertEquals("0:00", Progress.duration(0));
        assertEquals("0:42", Progress.duration(42_000 * MS));
        assertEquals("12:05", Progress.duration((12 * 60 + 5) * 1000 * MS));
        assertEquals("1:02:03", Progress.duration((3600 + 123) * 1000 * MS));
    }

    @Test
    void surefiresOutputIsNotATerminal() {
        // The forked test JVM writes into a pipe; on JDK 22+ System.console() may be non-null there all the same.
        assertFalse(Progress.isTerminal());
    }
}
