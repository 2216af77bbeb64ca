package dev.residual.runtime.optim;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.residual.runtime.io.SafetensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Access to {@code golden/optim.safetensors}, PyTorch's answers written by {@code src/test/python/make_optim_golden.py}
 * (its docstring lists the tensors), and the comparison the golden tests use.
 */
public final class OptimGolden implements AutoCloseable {

    /** The tolerance of every golden comparison: relative, ≤ 1e-6. */
    public static final double RELATIVE = 1e-6;

    private final SafetensorsFile file;

    private OptimGolden(SafetensorsFile file) {
        this.file = file;
    }

    public static OptimGolden open() {
        URL url = OptimGolden.class.getResource("/golden/optim.safetensors");
        if (url == null) {
            throw new IllegalStateException("golden/optim.safetensors is not on the test class path; run"
                    + " /usr/bin/python3 runtime/src/test/python/make_optim_golden.py");
        }
        try {
            return new OptimGolden(SafetensorsFile.open(Path.of(url.toURI())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public float[] floats(String name) {
        return file.floats(name);
    }

    /** Row {@code row} of a 2-D F32 tensor. */
    public float[] row(String name, int row) {
        long[] shape = file.entry(name).shape();
        int width = (int) shape[1];
        float[] all = file.floats(name);
        float[] out = new float[width];
        System.arraycopy(all, row * width, out, 0, width);
        return out;
    }

    public long[] shape(String name) {
        return file.entry(name).shape();
    }

    public double[] doubles(String name) {
        return file.bytes(name).toArray(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    public double scalar(String name) {
        double[] values = doubles(name);
        assertEquals(1, values.length, name);
        return values[0];
    }

    public int[] labels(String name) {
        long[] values = file.bytes(name).toArray(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
        int[] labels = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            labels[i] = Math.toIntExact(values[i]);
        }
        return labels;
    }

    @Override
    public void close() {
        file.close();
    }

    /**
     * Fails unless every {@code actual[i]} is within {@link #RELATIVE} of {@code expected[i]} relative to it (so an
     * expected 0 must be exactly 0); returns how many are bit-for-bit equal.
     */
    public static int assertClose(float[] expected, MemorySegment actual, long off, String what) {
        int identical = 0;
        for (int i = 0; i < expected.length; i++) {
            float a = actual.getAtIndex(JAVA_FLOAT, off + i);
            float e = expected[i];
            if (Float.floatToRawIntBits(a) == Float.floatToRawIntBits(e)) {
                identical++;
            } else if (!(Math.abs((double) a - e) <= RELATIVE * Math.abs((double) e))) {
                fail(what + ": element " + i + " is " + a + ", PyTorch has " + e + " (relative difference "
                        + Math.abs((double) a - e) / Math.abs((double) e) + ")");
            }
        }
        return identical;
    }

    public static void assertClose(double expected, double actual, double relative, String what) {
        if (!(Math.abs(actual - expected) <= relative * Math.abs(expected))) {
            fail(what + ": " + actual + ", expected " + expected + " (relative difference "
                    + Math.abs(actual - expected) / Math.abs(expected) + ", tolerance " + relative + ")");
        }
    }
}
